"""The monthly cycle through Airflow, on SYNTHETIC sample data and the embedded defaults.

What a province-month looks like to the DAGs and to the people in it, with simulated arrival
times (the files' modification times) and runs at the times the schedules would start them:

1. the previous month's sample reports arrive on its 10th; the intake run of its 11th takes them;
2. this month's reports arrive on the 10th — huyện Bảo Lạc's first file with a negative amount,
   and one district's report only on the 14th, two days late; the intake run of the 11th takes
   what arrived and e-mails each sender its verdict (the rejected one with its workbook marked);
3. the reminder of the 11th to the units with no accepted report; Bảo Lạc's corrected file
   arrives that afternoon and is accepted, on time;
4. the consolidation run of the 13th (the day after the district deadline of the 12th): dbt
   (one task per model), the consolidation gate, report version 1 (provisional);
5. the deadline DAG's status notice for the month (reporting rate, on-time rate, late, missing);
6. the intake run of the 14th takes the late report (flagged late) and announces it; the
   re-consolidation it triggers builds version 2;
7. the consolidation run of the 15th, the province deadline: the **final** report, built with
   every dbt test over every month;
8. after the reform of 2025-07-01, a month of 2026 (``REFORM_PERIOD``) in the same warehouse:
   the reports of the province's communes (Cao Bằng's 56 xã and phường, spending carried-over
   2021–2025 capital) arrive on the 10th, the intake run of the 11th takes them, and the
   consolidation run of the province deadline expects those communes and writes their final
   report, by xã/phường.

Every run is ``dag.test()`` in this process: the same DAG files, tasks and functions a scheduler
would run, with the metadata in ``.gnbv/airflow`` and the warehouse the CLI uses. Every e-mail
goes to an SMTP server the demo runs itself on 127.0.0.1 (``gnbv.mail_sink``), never further, and
is listed at the end (each kept as an ``.eml`` file in ``.gnbv/demo-mail``).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from gnbv import settings
from gnbv.orchestration import CONSOLIDATION_DAG_ID, DEADLINE_DAG_ID, INTAKE_DAG_ID
from gnbv.orchestration.calendar import LOCAL_TZ, MonthlyDeadline, format_period, monthly_deadline, previous_month

if TYPE_CHECKING:
    from gnbv.dev.airflow_local.runner import RunResult
    from gnbv.dev.samples.province import SampleFile
    from gnbv.mail_sink import MailSink

Echo = Callable[[str], None]


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), LOCAL_TZ)


def drop_samples(province: str, period: dt.date, inbox_folder: Path, *, arrival: dt.datetime) -> list[SampleFile]:
    """SYNTHETIC sample reports of every district into ``inbox/<province>/<YYYY-MM>/``, each
    with ``arrival`` as its modification time (when the inbox received it)."""
    from gnbv.dev.samples.province import write_sample_inbox

    files = write_sample_inbox(province, period, inbox_folder)
    for file in files:
        _arrived(file.path, arrival)
    return files


def _arrived(path: Path, moment: dt.datetime) -> None:
    os.utime(path, (moment.timestamp(), moment.timestamp()))


def drop_rejected_file(province: str, period: dt.date, inbox_folder: Path, *, arrival: dt.datetime) -> Path:
    """A SYNTHETIC report with a negative amount (huyện Bảo Lạc, for Cao Bằng), as a sender's
    first try: the gate rejects it."""
    import tempfile

    from gnbv.dev.samples.province import generate_bad_samples

    with tempfile.TemporaryDirectory(prefix="gnbv-demo-") as folder:
        (bad,) = [
            b
            for b in generate_bad_samples(Path(folder), period, province_code=province)
            if b.expected_check == "negative_amount"
        ]
        target = inbox_folder / province / format_period(period) / REJECTED_FILE_NAME
        target.write_bytes(bad.path.read_bytes())
    _arrived(target, arrival)
    return target


# The demo's sender who gets it wrong first (SYNTHETIC): its file, then the corrected sample.
REJECTED_FILE_NAME = "bao_cao_thang_lan_1.xlsx"
DEMO_RECIPIENTS = {
    settings.NOTIFY_TO.name: "tiep-nhan.cao-bang.sample@example.invalid",
    settings.REPORT_RECIPIENTS.name: "ubnd.cao-bang.sample@example.invalid",
}


# The month after the reform the demo runs beside the 2024 one: the communes report.
REFORM_PERIOD = dt.date(2026, 3, 1)


def run_airflow_demo(province: str = "04", period: dt.date = dt.date(2024, 3, 1), *, echo: Echo = print) -> int:
    from gnbv.mail_sink import MailSink

    period = period.replace(day=1)
    deadline = monthly_deadline(province, period)
    if deadline is None:
        echo(f"province {province} has no monthly reporting calendar in {period.year}: pick e.g. 04 and 2024-03")
        return 2
    with MailSink(settings.state_dir() / "demo-mail", sender="gnbv-demo@localhost") as sink:
        # every message of the demo goes to this server, whatever the shell configured
        os.environ[settings.SMTP_URL.name] = sink.url
        os.environ.pop("AIRFLOW_CONN_SMTP_DEFAULT", None)
        os.environ.update(DEMO_RECIPIENTS)
        code = _cycle(province, period, deadline, echo)
        _mail_caught(sink, echo)
    return code


def _cycle(province: str, period: dt.date, deadline: MonthlyDeadline, echo: Echo) -> int:
    from gnbv.dev.airflow_local import runner
    from gnbv.orchestration import inbox

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
    eleventh = period.replace(day=11)

    echo(f"\n1. {format_period(before)}: SAMPLE reports arrive on {before:%Y-%m}-10; intake run of the 11th")
    drop_samples(province, before, inbox_root, arrival=_at(before.replace(day=10), 9))
    results = [runner.run(INTAKE_DAG_ID, _at(before.replace(day=11), 9))]

    echo(
        f"\n2. {format_period(period)}: reports arrive on the 10th — one district's first file is wrong, "
        f"another district's report comes only on {late_day:%d/%m}; intake run of the 11th, verdicts e-mailed"
    )
    files = drop_samples(province, period, inbox_root, arrival=_at(period.replace(day=10), 9))
    units = sorted({f.unit_code for f in files})
    corrected = "043" if "043" in units else units[0]  # the district the bad sample is made from
    late = max(f.unit_code for f in files if f.fmt == "xlsx" and f.unit_code != corrected)
    for file in files:
        if file.unit_code == late:
            _arrived(file.path, _at(late_day, 10))
        elif file.unit_code == corrected:
            _arrived(file.path, _at(eleventh, 16))
    drop_rejected_file(province, period, inbox_root, arrival=_at(period.replace(day=10), 9, 30))
    results.append(runner.run(INTAKE_DAG_ID, _at(eleventh, 9)))

    echo("\n3. reminders of the 11th; the corrected file arrives at 16:00 and is taken at 16:30")
    results.append(runner.run(DEADLINE_DAG_ID, _at(eleventh, 10)))
    results.append(runner.run(INTAKE_DAG_ID, _at(eleventh, 16, 30)))

    consolidation_day = deadline.district_due + dt.timedelta(days=1)
    echo(f"\n4. consolidation on {consolidation_day:%d/%m} 06:00 (district deadline {deadline.district_due:%d/%m})")
    results.append(runner.run(CONSOLIDATION_DAG_ID, _at(consolidation_day, 6)))

    echo("\n5. reporting status notice")
    conf = {"kind": "summary", "province": province, "period": format_period(period)}
    results.append(runner.run(DEADLINE_DAG_ID, _at(consolidation_day, 8), conf=conf))

    echo(f"\n6. the late report arrives on {late_day:%d/%m}; intake, then the re-consolidation it triggers")
    results.append(runner.run(INTAKE_DAG_ID, _at(late_day, 12)))
    conf = {"province": province, "period": format_period(period)}
    results.append(runner.run(CONSOLIDATION_DAG_ID, _at(late_day, 12, 30), conf=conf))

    if deadline.province_due is not None:
        echo(f"\n7. the province deadline, {deadline.province_due:%d/%m} 06:00: the final report, every dbt test")
        results.append(runner.run(CONSOLIDATION_DAG_ID, _at(deadline.province_due, 6)))
    months = [period]
    if period < REFORM_PERIOD:
        reformed = _reform_month(province, REFORM_PERIOD, inbox_root, echo)
        results += reformed
        months += [REFORM_PERIOD] if reformed else []

    echo("")
    for result in results:
        failed = f"  failed: {', '.join(result.failed())}" if result.failed() else ""
        echo(f"{result.dag_id:20} {result.state:8} {result.seconds:6.1f}s{failed}")
    _where(province, months, echo)
    return 0 if all(r.ok for r in results) else 1


def _reform_month(province: str, period: dt.date, inbox_root: Path, echo: Echo) -> list[RunResult]:
    """Step 8: a month after the reform in the same warehouse. The province's communes send their
    SYNTHETIC reports on the 10th, the intake run of the 11th takes them, and the consolidation of
    the province deadline expects exactly those communes (Cao Bằng: 56) and writes the final
    report. Nothing runs where the province has no calendar that month."""
    from gnbv.dev.airflow_local import runner

    deadline = monthly_deadline(province, period)
    if deadline is None or deadline.province_due is None:
        echo(f"\n8. province {province} has no monthly calendar in {format_period(period)}: no month after the reform")
        return []
    files = drop_samples(province, period, inbox_root, arrival=_at(period.replace(day=10), 9))
    communes = len({f.unit_code for f in files})
    echo(
        f"\n8. after the reform, {format_period(period)}: the reports of {communes} communes (xã, phường) arrive on "
        f"the 10th; intake run of the 11th; the consolidation of the province deadline, "
        f"{deadline.province_due:%d/%m}: the final report by xã/phường"
    )
    return [
        runner.run(INTAKE_DAG_ID, _at(period.replace(day=11), 9)),
        runner.run(CONSOLIDATION_DAG_ID, _at(deadline.province_due, 6)),
    ]


def _mail_caught(sink: MailSink, echo: Echo) -> None:
    """The e-mails of the demo, as their recipients would see them in their inbox."""
    caught = sink.caught
    folder = caught[0].path.parent if caught and caught[0].path else None
    echo(f"\ne-mails sent ({len(caught)}, caught by the demo's own SMTP server; .eml files in {folder}):")
    for number, mail in enumerate(caught, start=1):
        attached = ", ".join(mail.attachments())
        echo(f"{number:3}. to {', '.join(mail.rcpt_tos)}")
        echo(f"     {mail.subject}")
        if attached:
            echo(f"     attached: {attached}")


def _where(province: str, months: list[dt.date], echo: Echo) -> None:
    from gnbv import db
    from gnbv.orchestration import inbox
    from gnbv.orchestration.consolidate import reports_root
    from ingest.gate import data_docs_index

    for period in months:
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
