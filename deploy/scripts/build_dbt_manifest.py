"""Build dbt's manifest where the consolidation DAG reads it, at ``docker build`` time.

The consolidation DAG renders one Airflow task per dbt model from ``manifest.json`` in
``$GNBV_AIRFLOW_DBT_DIR`` (gnbv.orchestration.consolidate). Parsing at build time puts a manifest
matching the image's dbt project into the image, so the DAG processor never waits for a
``dbt parse`` when a container starts. ``dbt parse`` does not connect to the warehouse: when
GNBV_DATABASE_URL is unset (as during ``docker build``), a placeholder URL only fills the profile.

Usage: ``GNBV_AIRFLOW_DBT_DIR=/path python deploy/scripts/build_dbt_manifest.py`` → prints the
manifest's path and its number of models; exit 1 if dbt cannot parse the project.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

PLACEHOLDER_URL = "postgresql://gnbv_build@warehouse:5432/gnbv"


def build_manifest() -> Path:
    os.environ.setdefault("GNBV_DATABASE_URL", PLACEHOLDER_URL)  # never start an embedded server here
    try:
        from gnbv.orchestration.consolidate import refresh_manifest
    except ImportError:  # the orchestration package absent: the same steps with gnbv.dbt
        refresh_manifest = None
    if refresh_manifest is not None:
        return Path(refresh_manifest(force=True, log=lambda line: print(line, file=sys.stderr)))
    from gnbv import dbt, settings

    base = Path(os.environ.get("GNBV_AIRFLOW_DBT_DIR", "") or settings.state_dir() / "airflow" / "dbt")
    result = dbt.run_dbt(["parse"], quiet=True, profiles_dir=base, target_path=base / "target")
    built = base / "target" / "manifest.json"
    if not result.success or not built.exists():
        raise RuntimeError(f"dbt parse failed: {result.error or 'see ' + str(base / 'logs' / 'dbt.log')}")
    shutil.copyfile(built, base / "manifest.json")
    return base / "manifest.json"


def main() -> int:
    try:
        path = build_manifest()
    except RuntimeError as err:
        print(err, file=sys.stderr)
        return 1
    nodes = json.loads(path.read_text(encoding="utf-8"))["nodes"]
    models = sum(1 for n in nodes.values() if n["resource_type"] == "model")
    print(f"{path} ({models} models)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
