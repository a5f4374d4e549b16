#!/usr/bin/env bash
# Entry point of the gnbv Airflow image (Dockerfile): prepares what a container needs from its
# environment, then runs the command (`airflow scheduler`, `airflow api-server`, ...).
set -euo pipefail

# The simple auth manager's password for the `admin` user, from AIRFLOW_ADMIN_PASSWORD (.env),
# into the file [core] simple_auth_manager_passwords_file names (never in the image).
passwords_file="${AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE:-}"
if [[ -n "${AIRFLOW_ADMIN_PASSWORD:-}" && -n "${passwords_file}" ]]; then
  umask 077
  python - "${passwords_file}" <<'PY'
import json, os, sys
users = [u.split(":")[0] for u in os.environ.get("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS", "admin:admin").split(",") if u]
with open(sys.argv[1], "w", encoding="utf-8") as handle:
    json.dump({user: os.environ["AIRFLOW_ADMIN_PASSWORD"] for user in users}, handle)
PY
  umask 022
fi

exec "$@"
