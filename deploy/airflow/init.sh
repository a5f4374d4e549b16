#!/usr/bin/env bash
# The `airflow-init` service of docker-compose.yml: runs once at every `docker compose up`, before
# any other Airflow service starts (they wait for it to complete). Idempotent.
#   1. Airflow's metadata database: `airflow db migrate`
#   2. the warehouse: migrations (raw layer, the roles of V003), the log-ins of Airflow and of the
#      BI tools with their passwords from .env (deploy/scripts/init_warehouse.py)
#   3. the marts: a first `gnbv build` when the warehouse has none yet, so the BI tools find their
#      tables from the start (GNBV_INIT_BUILD=false skips it)
set -euo pipefail

echo "== Airflow metadata database"
airflow db migrate

echo "== warehouse: migrations and log-ins"
python /opt/gnbv/deploy/scripts/init_warehouse.py

if [[ "${GNBV_INIT_BUILD:-true}" == "true" ]]; then
  marts=$(python - <<'PY'
import psycopg, os
with psycopg.connect(os.environ["GNBV_ADMIN_DATABASE_URL"]) as conn:
    print(conn.execute("select count(*) from pg_tables where schemaname = 'marts'").fetchone()[0])
PY
)
  if [[ "${marts}" == "0" ]]; then
    echo "== first build of the marts (seeds, staging, intermediate, marts, tests), as the owner"
    GNBV_DATABASE_URL="${GNBV_ADMIN_DATABASE_URL}" gnbv build --quiet --no-docs
    python /opt/gnbv/deploy/scripts/init_warehouse.py  # hand what dbt built to gnbv_transformer
  else
    echo "== marts present (${marts} tables): no build here, the consolidation DAG builds"
  fi
fi
echo "== init done"
