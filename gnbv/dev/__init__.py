"""Development tools, apart from the shipped code: SYNTHETIC sample files (``samples``), the
benchmark (``bench``), Airflow run on this machine for the demo and the checks
(``airflow_local``) and headless Chromium for the checks of pages (``chromium``). The shipped
code (``ingest``, ``dags``, ``gnbv`` outside this package) never imports them; only the command
line's development commands (``gnbv sample``, ``gnbv demo``, ``gnbv bench``, ``gnbv airflow
test``) reach them, inside the command (tests/test_architecture.py).
"""
