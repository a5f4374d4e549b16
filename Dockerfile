# syntax=docker/dockerfile:1
# The gnbv Airflow image: Airflow 3, dbt, Great Expectations and the project, installed from
# uv.lock exactly as `make test` installs them, with the dbt manifest built in.
# Every Airflow service of docker-compose.yml (api-server, scheduler, dag-processor, triggerer,
# Celery workers, init) and the metabase-init job run this image. See docs/deployment.md.
#
#   docker build -t gnbv-warehouse/airflow:0.1.0 .        (or: docker compose build)

ARG PYTHON_IMAGE=python:3.11-slim-bookworm
FROM ${PYTHON_IMAGE}

# Same uv as scripts/bootstrap.sh; the Celery provider for the `celery` compose profile (until
# pyproject.toml carries it; celery 5.7.0 is incompatible with provider 3.26.0, hence the pin).
ARG UV_VERSION=0.13.9
ARG CELERY_REQUIREMENTS="apache-airflow-providers-celery==3.26.0 celery==5.6.3"
ARG AIRFLOW_UID=50000

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    LANG=C.UTF-8 \
    TZ=Asia/Ho_Chi_Minh \
    UV_PROJECT_ENVIRONMENT=/opt/gnbv/.venv \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    PATH=/opt/gnbv/.venv/bin:$PATH \
    AIRFLOW_HOME=/opt/airflow \
    AIRFLOW__CORE__DAGS_FOLDER=/opt/gnbv/dags \
    AIRFLOW__CORE__LOAD_EXAMPLES=False \
    GNBV_HOME=/opt/gnbv \
    GNBV_AIRFLOW_DBT_DIR=/opt/gnbv/.gnbv/airflow/dbt \
    GNBV_INBOX=/data/inbox \
    GNBV_ARCHIVE=/data/archive \
    GNBV_QUARANTINE=/data/quarantine \
    GNBV_REPORTS=/data/reports \
    GX_ANALYTICS_ENABLED=False \
    SCARF_NO_ANALYTICS=true \
    DO_NOT_TRACK=1

RUN apt-get update \
    && apt-get install -y --no-install-recommends curl tini tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && pip install --no-cache-dir "uv==${UV_VERSION}" \
    && useradd --uid "${AIRFLOW_UID}" --gid 0 --home-dir /opt/airflow --create-home --shell /bin/bash airflow

WORKDIR /opt/gnbv

# 1. the locked dependencies (a layer that changes only with uv.lock)
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project \
    && (/opt/gnbv/.venv/bin/python -c "import airflow.providers.celery" 2>/dev/null \
        || uv pip install --python /opt/gnbv/.venv/bin/python ${CELERY_REQUIREMENTS})

# 2. the project (what .dockerignore lets in: gnbv, ingest, dbt_project, expectations, dags,
#    deploy), installed into the same environment (--inexact: keep the Celery provider)
COPY . .
RUN uv sync --frozen --no-dev --inexact \
    && python -c "import gnbv.cli, ingest.intake, airflow, dbt.version, great_expectations"

# 3. the dbt manifest the consolidation DAG renders its per-model tasks from
RUN python deploy/scripts/build_dbt_manifest.py

# 4. Airflow's home with the project's cluster policy; writable state for the airflow user
RUN install -d -o airflow -g 0 -m 2775 /opt/airflow/config /opt/airflow/logs \
        /data/inbox /data/archive /data/quarantine /data/reports \
    && install -o airflow -g 0 -m 0644 deploy/airflow/airflow_local_settings.py /opt/airflow/config/ \
    && mkdir -p /opt/gnbv/.gnbv /opt/gnbv/expectations/gx/uncommitted \
    && chown -R airflow:0 /opt/gnbv/.gnbv /opt/gnbv/expectations/gx /opt/airflow \
    && chmod -R g+rwX /opt/gnbv/.gnbv /opt/gnbv/expectations/gx /opt/airflow

USER airflow
EXPOSE 8080 8793 8974
ENTRYPOINT ["/usr/bin/tini", "--", "/opt/gnbv/deploy/airflow/entrypoint.sh"]
CMD ["airflow", "version"]
