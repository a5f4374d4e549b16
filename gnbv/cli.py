"""``gnbv``: the command line of the poverty-reduction data warehouse.

Every command prints what it did in one line per item and exits non-zero when something
needs a person's attention; none prints a traceback for a problem a user can fix.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from gnbv.cli_params import reporting_month

if TYPE_CHECKING:
    import psycopg

    from gnbv.mail import SmtpSettings
    from ingest.intake import IntakeResult

PERIOD_HELP = "Reporting month as YYYY-MM (the month whose 12th is the district deadline)."


def _received_at(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    from ingest.intake import LOCAL_TZ

    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO-8601 time, e.g. 2024-03-11T09:30") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=LOCAL_TZ)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="gnbv-warehouse")
def main() -> None:
    """Data warehouse of the Sustainable Poverty Reduction program (CTMTQG GNBV).

    Districts send a monthly disbursement report (Biểu 05) by the 12th; the province
    consolidates it by the 15th. This tool takes in the reports, keeps them exactly
    (whole VND, lineage to the cell) in PostgreSQL, and builds the warehouse on top.

    The warehouse is GNBV_DATABASE_URL when set, else a PostgreSQL embedded in the
    project (.gnbv/warehouse), started on first use.
    """


# --- warehouse ---------------------------------------------------------------------------


@main.group()
def warehouse() -> None:
    """Start, stop and inspect the embedded PostgreSQL warehouse."""


@warehouse.command("start")
@click.option(
    "--listen",
    metavar="HOST:PORT",
    help="Also accept TCP connections there, with a password only (e.g. 127.0.0.1:5433 for BI "
    "tools on this machine; `gnbv bi login` makes one). Kept for later starts; restarts a running "
    "warehouse that listens otherwise.",
)
@click.option("--socket-only", is_flag=True, help="Stop listening on TCP (the default): the Unix socket only.")
def warehouse_start(listen: str | None, socket_only: bool) -> None:
    """Start the embedded warehouse (if not running), apply migrations, print its URL.

    With GNBV_DATABASE_URL set, nothing is started: that database is migrated and its
    (password-redacted) URL printed.
    """
    from gnbv import db, settings
    from gnbv import warehouse as wh

    external = settings.external_database_url()
    if (listen or socket_only) and external:
        raise click.UsageError("--listen and --socket-only set up the embedded warehouse: unset GNBV_DATABASE_URL")
    if listen and socket_only:
        raise click.UsageError("--listen and --socket-only contradict each other: give one")
    if (listen or socket_only) and wh.set_listen(wh.parse_listen(listen) if listen else None):
        click.echo("restarted the warehouse to listen as asked (open sessions were cut)")
    url = external or wh.start()
    with db.connect() as conn:
        conn.execute("select 1")
    click.echo(db.redact(url) + ("  (GNBV_DATABASE_URL)" if external else ""))
    address = None if external else wh.tcp_address()
    if address is not None:
        click.echo(f"TCP {address}: password logins only (scram-sha-256), e.g. `gnbv bi login`")


@warehouse.command("stop")
def warehouse_stop() -> None:
    """Stop the embedded warehouse."""
    from gnbv import warehouse as wh

    click.echo("stopped" if wh.stop() else "not running")


@warehouse.command("url")
def warehouse_url() -> None:
    """Print the URL of the warehouse in force (GNBV_DATABASE_URL or the embedded one)."""
    from gnbv import settings

    click.echo(settings.database_url())


@warehouse.command("status")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def warehouse_status(as_json: bool) -> None:
    """Show whether the embedded warehouse runs, where its data and log are."""
    from gnbv import warehouse as wh

    status = wh.status()
    if as_json:
        click.echo(json.dumps(status.to_dict(), indent=2))
        return
    for key, value in status.to_dict().items():
        click.echo(f"{key:14} {value}")


# --- intake ------------------------------------------------------------------------------


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--received-at", help="When the files were received (ISO-8601; default: now, Asia/Ho_Chi_Minh).")
@click.option("--province", help="Province code (e.g. 04) to tell apart units with the same name.")
@click.option(
    "--period",
    help="The reporting month (YYYY-MM) the files are sent for: a workbook with one Biểu 05 sheet per month "
    "is read from the sheet of that month, and a file stating only other months is rejected.",
)
@click.option(
    "--reports",
    "report_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write each rejected (or warned) file's report for its sender into this folder.",
)
@click.option("--build", "build_marts", is_flag=True, help="Then build the marts, as of the receipt date.")
@click.option(
    "--notify",
    is_flag=True,
    help="E-mail each verdict to the sending unit's contacts (ref_unit_contacts): accepted with what was read, "
    "rejected with the note and the workbook with its faulty cells marked. SMTP: GNBV_SMTP_URL.",
)
def ingest(
    paths: tuple[Path, ...],
    received_at: str | None,
    province: str | None,
    period: str | None,
    report_dir: Path | None,
    build_marts: bool,
    notify: bool,
) -> None:
    """Take in district submissions (.xlsx / .xls / .ods / .csv files or folders).

    Each file is read, checked and loaded on its own, in one transaction: wholly in or wholly
    out. One line per file says accepted / rejected (with the reasons and cells) / duplicate.
    With --notify, the unit that sent each file is told the verdict by e-mail, as the intake DAG
    does. Then says whether the marts hold what landed (or builds them, with --build).
    Exits 1 when any file was rejected (or the build failed).
    """
    from gnbv import db, mail
    from ingest import rejection_report
    from ingest.gate import data_docs_index
    from ingest.intake import ingest_paths

    smtp = None
    if notify:
        try:
            smtp = mail.SmtpSettings.resolve()
        except mail.SmtpNotConfigured as err:
            raise click.UsageError(str(err)) from None

    def show(result: IntakeResult) -> None:
        click.echo(result.summary())
        text = result.report_text()
        if report_dir is not None and text is not None:
            click.echo(f"          report: {rejection_report.write(report_dir, result.path.name, text)}")

    when = _received_at(received_at)
    with db.connect() as conn:
        results = ingest_paths(
            conn,
            paths,
            received_at=when,
            province_hint=province,
            expected_period=reporting_month(period) if period else None,
            on_result=show,
        )
        if smtp is not None:
            _tell_senders(conn, results, smtp, province)
    if not results:
        click.echo("no submission files found (.xlsx, .xls, .ods, .csv)")
    accepted = sum(r.status == "accepted" for r in results)
    rejected = [r for r in results if not r.ok]
    unchanged = len(results) - accepted - len(rejected)
    click.echo(f"{len(results)} file(s): {accepted} accepted, {len(rejected)} rejected, {unchanged} unchanged")
    if results:
        click.echo(f"Data Docs: {data_docs_index()}")
    built = _build_marts(when) if build_marts else True
    with db.connect() as conn:
        click.echo(_marts_line(conn))
    sys.exit(1 if rejected or not built else 0)


def _build_marts(received_at: dt.datetime | None) -> bool:
    """``gnbv build`` as of the receipt date (today by default), after an intake."""
    from gnbv import dbt
    from ingest.intake import LOCAL_TZ

    as_of = (received_at or dt.datetime.now(LOCAL_TZ)).astimezone(LOCAL_TZ).date()
    click.echo(f"building the marts as of {as_of:%Y-%m-%d} ...")
    result = dbt.build(vars={"as_of_date": as_of.isoformat()}, quiet=True)
    for line in result.lines(only_failed=True):
        click.echo(line)
    return result.success


def _marts_line(conn: Any) -> str:
    from gnbv import marts

    try:
        found = marts.status(conn)
    except marts.MartsUnreadable as err:
        return f"marts: this login may not read them, so their as-of is not shown ({err})"
    return found.line() if found else "marts: not built yet — run `gnbv build` (or `gnbv ingest --build`)"


def _tell_senders(
    conn: psycopg.Connection, results: list[IntakeResult], smtp: SmtpSettings, province: str | None
) -> None:
    """E-mail each file's verdict to its sender (``gnbv.orchestration.verdicts``); a mail server
    that refuses one message is reported and the others still go."""
    import smtplib

    from gnbv.orchestration import verdicts
    from ingest.names import shown_name
    from ingest.read_file import province_hint_from_path

    for result in results:
        verdict = verdicts.load(
            conn,
            submission_id=result.submission_id,
            status=result.status,
            file_name=result.path.name,
            received_at=result.received_at or dt.datetime.now(dt.UTC),
            province_hint=province or province_hint_from_path(result.path),
            unit_code=result.unit_code,
            period=result.period_month,
        )
        try:
            verdicts.tell(
                verdict,
                marked=verdicts.marked_workbook(verdict, result.path),
                smtp=smtp,
                log=lambda line: click.echo(f"          {line}"),
            )
        except (smtplib.SMTPException, OSError) as err:
            click.echo(f"          NOT E-MAILED {shown_name(result.path.name)}: {err}")


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--province", help="Province code (e.g. 04) to tell apart units with the same name.")
@click.option(
    "--period",
    help="The reporting month (YYYY-MM) the files are sent for: a workbook with one Biểu 05 sheet per month "
    "is read from the sheet of that month, and a file stating only other months is rejected.",
)
@click.option("--received-at", help="Check as if received at this time (ISO-8601; default: now).")
@click.option(
    "--offline",
    is_flag=True,
    help="Do not consult the warehouse (skips the checks against the figures accepted for the year's other "
    "months and approved figures locked).",
)
def validate(
    paths: tuple[Path, ...], province: str | None, period: str | None, received_at: str | None, offline: bool
) -> None:
    """Check submissions against the quality gate without loading anything (a dry run).

    A district officer can run this on a file before sending it: it prints every problem with
    its sheet and cell, in Vietnamese and English, and what would fix it. Exits 1 if any file
    would be rejected.
    """
    import contextlib

    from gnbv import db
    from ingest import rejection_report
    from ingest.intake import LOCAL_TZ, validate_paths
    from ingest.names import shown_name

    now = _received_at(received_at) or dt.datetime.now(LOCAL_TZ)
    with contextlib.ExitStack() as stack:
        conn = None if offline else stack.enter_context(db.connect())
        subs, _run = validate_paths(
            paths,
            conn=conn,
            received_at=now,
            province_hint=province,
            expected_period=reporting_month(period) if period else None,
        )
    failing = 0
    for sub in subs:
        status = "rejected" if sub.errors else "accepted"
        failing += status == "rejected"
        click.echo(f"{'WOULD BE ' + status.upper():20} {shown_name(sub.file_name)}")
        if sub.problems:
            text = rejection_report.render(
                file_name=sub.file_name,
                status=status,
                problems=sub.problems,
                unit=sub.unit_code,
                period=sub.period_month,
                received_at=now,
                submission_id=sub.submission_id,
            )
            click.echo("\n".join("    " + line for line in text.splitlines()))
    sys.exit(1 if failing else 0)


@main.command()
@click.option("--unit", "unit_code", required=True, help="District code, e.g. 043 (huyện Bảo Lạc).")
@click.option("--period", required=True, help=PERIOD_HELP)
@click.option("--out", "out_dir", default=".", show_default=True, type=click.Path(file_okay=False, path_type=Path))
def template(unit_code: str, period: str, out_dir: Path) -> None:
    """Write the blank Biểu 05 workbook a district fills in, pre-filled with its unit and period."""
    from ingest.template import write_template

    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        path = write_template(unit_code, reporting_month(period), out_dir)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(path)


@main.command()
@click.option("--province", default="04", show_default=True, help="Province code.")
@click.option("--period", required=True, help=PERIOD_HELP)
@click.option(
    "--out", "out_dir", default="out/samples", show_default=True, type=click.Path(file_okay=False, path_type=Path)
)
@click.option("--seed", default=0, show_default=True, help="Random seed (same seed, same files).")
def sample(province: str, period: str, out_dir: Path, seed: int) -> None:
    """Generate SYNTHETIC sample submissions for every reporting unit of a province and month.

    Districts until June 2025, communes from July 2025 (`--period 2026-03`: Cao Bằng's 56
    communes, spending carried-over 2021–2025 capital)."""
    from gnbv.dev.samples.province import write_sample_inbox

    for file in write_sample_inbox(province, reporting_month(period), out_dir, seed=seed):
        click.echo(f"{file.path}  ({file.variation})")


@main.command()
@click.option("--province", default="04", show_default=True, help="Province code of the sample month.")
@click.option("--period", default="2024-03", show_default=True, help=PERIOD_HELP)
def demo(province: str, period: str) -> None:
    """Run a monthly cycle on SYNTHETIC sample data, end to end through Airflow.

    Drops the sample reports of every district of the province into the inbox (the previous
    month's, then this month's with one district two days late) and runs the DAGs with
    ``dag.test()`` at the times their schedules would: intake and the Great Expectations gate,
    the status notice, the consolidation (dbt, one task per model; the consolidation gate; the
    monthly report), then the late file and the re-consolidation it triggers. Prints where the
    report versions, the archive and the Data Docs are. Running it again changes nothing.
    """
    from gnbv.dev.airflow_local.demo import run_airflow_demo

    sys.exit(run_airflow_demo(province, reporting_month(period), echo=click.echo))


def _register_subcommands() -> None:
    """Commands that live beside the library they drive. Their modules import only click at
    module level (tests/test_cli_imports.py): each command imports what it uses when it runs."""
    from gnbv.airflow_cli import airflow_group, inbox_group, notify_command
    from gnbv.bi.cli import bi_group
    from gnbv.dbt import build_command
    from gnbv.dbt_docs import docs_command
    from gnbv.dev.bench.cli import bench_command
    from gnbv.outliers.cli import outliers_group
    from gnbv.portal.cli import portal_command, users_group
    from gnbv.report.cli import report_command

    main.add_command(build_command)
    main.add_command(docs_command)
    main.add_command(report_command)
    main.add_command(airflow_group)
    main.add_command(inbox_group)
    main.add_command(notify_command)
    main.add_command(bench_command)
    main.add_command(bi_group)
    main.add_command(outliers_group)
    main.add_command(users_group)
    main.add_command(portal_command)


_register_subcommands()


def run() -> None:
    """Entry point with user-facing errors instead of tracebacks."""
    from gnbv.errors import user_facing_error

    try:
        main(standalone_mode=True)
    except Exception as exc:
        message = user_facing_error(exc)
        if message is None:
            raise
        click.echo(f"error: {message}", err=True)
        sys.exit(2)
