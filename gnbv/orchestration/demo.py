"""The monthly cycle through Airflow, on SYNTHETIC sample data and the embedded defaults.

What a province-month looks like to the DAGs, with simulated arrival times (the files'
modification times) and runs at the times the schedules would start them:

1. the previous month's sample reports arrive on its 10th; the intake run of its 11th takes them;
2. this month's reports arrive on the 10th — all but one district, whose report comes on the
   14th, two days late; the intake run of the 11th takes what arrived;
3. the consolidation run of the 13th (the day after the district deadline of the 12th): dbt
   (one task per model), the consolidation gate, report version 1;
4. the deadline DAG's status notice for the month (reporting rate, on-time rate, late, missing);
5. the intake run of the 14th takes the late report (flagged late) and announces it; the
   re-consolidation it triggers builds report version 2.

Every run is ``dag.test()`` in this process: the same DAG files, tasks and functions a scheduler
would run, with the metadata in ``.gnbv/airflow`` and the warehouse the CLI uses.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path

from gnbv.orchestration import CONSOLIDATION_DAG_ID, DEADLINE_DAG_ID, INTAKE_DAG_ID
from gnbv.orchestration.calendar import LOCAL_TZ, format_period, monthly_deadline, previous_month

Echo = Callable[[str], None]


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), LOCAL_TZ)


def drop_samples(province: str, period: dt.date, inbox_folder: Path, *, arrival: dt.datetime) -> list[Path]:
    """SYNTHETIC sample reports of every district into ``inbox/<province>/<YYYY-MM>/``, each
    with ``arrival`` as its modification time (when the inbox received it)."""
    from ingest.samples import write_sample_inbox

    files = [f.path for f in write_sample_inbox(province, period, inbox_folder)]
    for path in files:
        os.utime(path, (arrival.timestamp(), arrival.timestamp()))
    return files


def run_airflow_demo(province: str = "04", period: dt.date = dt.date(2024, 3, 1), *, echo: Echo = print) -> int:
    from gnbv.orchestration import inbox, runner

    period = period.replace(day=1)
    deadline = monthly_deadline(province, period)
    if deadline is None:
        echo(f"province {province} has no monthly reporting calendar in {period.year}: pick e.g. 04 and 2024-03")
        return 2
    runner.quiet_airflow_logs()
    echo("setting up Airflow (.gnbv/airflow, SQLite metadata; the first time takes a few seconds)…")
    runner.start()
    from gnbv.orchestration.consolidate import refresh_manifest

    refresh_manifest(log=echo)
    lay = inbox.layout()
    if not lay.is_local:
        echo(f"the demo writes sample files into a local inbox; GNBV_INBOX is {lay.inbox}")
        return 2
    inbox_root = Path(inbox.local_path(lay.inbox))
    before = previous_month(period)
    late_day = deadline.district_due + dt.timedelta(days=2)

    echo(f"\n1. {format_period(before)}: SAMPLE reports arrive on {before:%Y-%m}-10; intake run of the 11th")
    drop_samples(province, before, inbox_root, arrival=_at(before.replace(day=10), 9))
    results = [runner.run(INTAKE_DAG_ID, _at(before.replace(day=11), 9))]

    echo(f"\n2. {format_period(period)}: reports arrive on the 10th, one district's only on {late_day:%d/%m}")
    files = drop_samples(province, period, inbox_root, arrival=_at(period.replace(day=10), 9))
    late = sorted(p for p in files if p.suffix == ".xlsx")[-1]
    os.utime(late, (_at(late_day, 10).timestamp(), _at(late_day, 10).timestamp()))
    results.append(runner.run(INTAKE_DAG_ID, _at(period.replace(day=11), 9)))

    consolidation_day = deadline.district_due + dt.timedelta(days=1)
    echo(f"\n3. consolidation on {consolidation_day:%d/%m} 06:00 (district deadline {deadline.district_due:%d/%m})")
    results.append(runner.run(CONSOLIDATION_DAG_ID, _at(consolidation_day, 6)))

    echo("\n4. reporting status notice")
    conf = {"kind": "summary", "province": province, "period": format_period(period)}
    results.append(runner.run(DEADLINE_DAG_ID, _at(consolidation_day, 8), conf=conf))

    echo(f"\n5. the late report arrives on {late_day:%d/%m}; intake, then the re-consolidation it triggers")
    results.append(runner.run(INTAKE_DAG_ID, _at(late_day, 12)))
    conf = {"province": province, "period": format_period(period)}
    results.append(runner.run(CONSOLIDATION_DAG_ID, _at(late_day, 12, 30), conf=conf))

    echo("")
    for result in results:
        failed = f"  failed: {', '.join(result.failed())}" if result.failed() else ""
        echo(f"{result.dag_id:20} {result.state:8} {result.seconds:6.1f}s{failed}")
    _where(province, period, echo)
    return 0 if all(r.ok for r in results) else 1


def _where(province: str, period: dt.date, echo: Echo) -> None:
    from gnbv import db
    from gnbv.orchestration import inbox
    from gnbv.orchestration.consolidate import reports_root
    from ingest.gate import data_docs_index

    with db.connect() as conn:
        rows = conn.execute(
            "select status, count(*) from marts.mart_reporting_compliance"
            " where province_code = %s and period_month = %s group by status order by status",
            (province, period),
        ).fetchall()
    echo("compliance " + format_period(period) + ": " + ", ".join(f"{n} {s}" for s, n in rows))
    month = reports_root() / province / format_period(period)
    versions = sorted(p for p in month.glob("v*") if p.is_dir()) if month.exists() else []
    echo(f"report versions: {', '.join(v.name for v in versions) or 'none'} in {month}")
    lay = inbox.layout()
    echo(f"archive: {inbox.local_path(lay.archive)}   quarantine: {inbox.local_path(lay.quarantine)}")
    echo(f"Data Docs (Great Expectations): {data_docs_index()}")
    echo("Airflow UI with these runs: gnbv airflow ui  (http://127.0.0.1:8080)")
