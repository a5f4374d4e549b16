"""The command line answers at once: importing it, and asking any command for ``--help``, loads
none of the libraries the commands drive (pandas, Great Expectations, dbt, Airflow, matplotlib,
...). Each command imports what it uses when it runs. Checked in a fresh interpreter, from
``sys.modules``; the times themselves are measured by ``gnbv bench`` (docs/performance.md).
"""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = (
    "pandas",
    "numpy",
    "great_expectations",
    "dbt",
    "airflow",
    "matplotlib",
    "scipy",
    "sqlalchemy",
    "openpyxl",
    "weasyprint",
    "jinja2",
)

PROBE = """
import json, sys

loaded = {}
import gnbv.cli
loaded["import gnbv.cli"] = sorted(sys.modules)

from gnbv.dev.bench.cli_timing import paths_of

paths = paths_of(gnbv.cli.main)
for path in paths:
    try:
        gnbv.cli.main.main(args=[*path, "--help"], prog_name="gnbv", standalone_mode=False)
    except SystemExit:
        pass
loaded["every --help"] = sorted(sys.modules)
print(json.dumps({"paths": paths, "loaded": loaded}))
"""


def test_the_cli_and_every_help_import_no_heavy_library() -> None:
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, check=True)
    probe = json.loads(out.stdout.strip().splitlines()[-1])
    assert ["build"] in probe["paths"] and ["airflow", "ui"] in probe["paths"] and ["docs"] in probe["paths"]
    for step, modules in probe["loaded"].items():
        heavy = sorted({m.split(".")[0] for m in modules} & set(HEAVY))
        assert heavy == [], f"{step} imported {heavy}"
