"""``gnbv airflow …``, ``gnbv inbox …`` and ``gnbv notify …``: the orchestration from the command
line. Register in ``gnbv/cli.py`` with::

    from gnbv.airflow_cli import airflow_group, inbox_group, notify_command
    main.add_command(airflow_group)
    main.add_command(inbox_group)
    main.add_command(notify_command)

Each command calls the same functions the DAGs run (``gnbv.orchestration``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys

import click

from gnbv import settings

PERIOD_HELP = "Reporting month as YYYY-MM."


def _period(value: str) -> dt.date:
    from gnbv.orchestration.calendar import PeriodError, parse_period

    try:
        return parse_period(value)
    except PeriodError as err:
        raise click.BadParameter(str(err)) from None


def _moment(value: str | None) -> dt.datetime:
    from gnbv.orchestration.calendar import LOCAL_TZ, to_local

    if not value:
        return dt.datetime.now(LOCAL_TZ)
    try:
        return to_local(dt.datetime.fromisoformat(value))
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO-8601 time, e.g. 2024-03-13T06:00") from None


# --------------------------------------------------------------------------- gnbv airflow


@click.group("airflow")
def airflow_group() -> None:
    """Run the project's Airflow 3 locally (home .gnbv/airflow, SQLite metadata, the DAGs in dags/).

    \b
    gnbv airflow ui                 the UI and scheduler on http://127.0.0.1:8080 (Ctrl-C stops)
    gnbv airflow test gnbv_intake --at 2024-03-11T09:00
    gnbv airflow run dags list      any `airflow` command in the project's environment
    eval "$(gnbv airflow env)"      the environment, for the plain `airflow` command
    """


@airflow_group.command("init")
def airflow_init() -> None:
    """Create the metadata database (once), the cluster policy and the dbt manifest."""
    from gnbv.orchestration import airflow_env
    from gnbv.orchestration.consolidate import refresh_manifest

    env = airflow_env.airflow_env()
    seconds = airflow_env.ensure_metadata_db(env)
    airflow_env.apply(env)
    click.echo(f"AIRFLOW_HOME  {env['AIRFLOW_HOME']}")
    click.echo(
        f"metadata      {env['AIRFLOW__DATABASE__SQL_ALCHEMY_CONN']}"
        + (f"  (migrated in {seconds:.1f}s)" if seconds else "")
    )
    click.echo(f"DAGs          {env['AIRFLOW__CORE__DAGS_FOLDER']}")
    click.echo(f"dbt manifest  {refresh_manifest(log=lambda _line: None)}")


@airflow_group.command("env")
def airflow_env_command() -> None:
    """Print `export` lines for the project's Airflow (use: eval "$(gnbv airflow env)")."""
    from gnbv.orchestration import airflow_env

    click.echo(airflow_env.shell_exports(airflow_env.airflow_env()))


def _exec_airflow(args: list[str]) -> None:
    from gnbv.orchestration import airflow_env

    env = airflow_env.airflow_env()
    airflow_env.ensure_metadata_db(env)
    binary = airflow_env._airflow_bin()
    os.execvpe(binary, [binary, *args], {**os.environ, **env})


@airflow_group.command("ui")
@click.option("--port", type=int, help="Port of the UI (default 8080, or $GNBV_AIRFLOW_PORT).")
def airflow_ui(port: int | None) -> None:
    """Start Airflow locally (`airflow standalone`: API server and UI, scheduler, DAG processor,
    triggerer) on http://127.0.0.1:PORT. Every user is admin: for a laptop, never a server.
    The DAGs start paused; unpause them in the UI to let the schedules run. Ctrl-C (or SIGTERM)
    stops Airflow and every process it started within a few seconds."""
    from gnbv.orchestration import airflow_env, supervise
    from gnbv.orchestration.consolidate import refresh_manifest

    if port:
        os.environ[settings.AIRFLOW_PORT.name] = str(port)
    refresh_manifest(log=click.echo)
    env = airflow_env.airflow_env()
    airflow_env.ensure_metadata_db(env)
    click.echo(f"Airflow UI: http://127.0.0.1:{port or os.environ.get('GNBV_AIRFLOW_PORT', 8080)}  (Ctrl-C stops)")
    # not exec'd: `airflow standalone` leaves its components running when signalled, so this
    # process stays to stop them all (gnbv.orchestration.supervise)
    code = supervise.run([airflow_env._airflow_bin(), "standalone"], env={**os.environ, **env}, log=click.echo)
    click.echo("Airflow stopped")
    sys.exit(code)


@airflow_group.command("run", context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@click.argument("args", nargs=-1, type=click.UNPROCESSED, required=True)
def airflow_run(args: tuple[str, ...]) -> None:
    """Run an `airflow` command in the project's environment, e.g. `gnbv airflow run dags list`
    or `gnbv airflow run backfill create --dag-id gnbv_consolidation --from-date 2024-01-01
    --to-date 2024-12-31`."""
    _exec_airflow(list(args))


@airflow_group.command("test")
@click.argument("dag_id")
@click.option("--at", "at", help="Logical date (ISO-8601, Vietnam time if no offset; default now).")
@click.option("--conf", "conf_json", help='Run parameters as JSON, e.g. \'{"province": "04", "period": "2024-03"}\'.')
def airflow_test(dag_id: str, at: str | None, conf_json: str | None) -> None:
    """Run one DAG run now, every task in this process (`dag.test()`); exits 1 if it failed."""
    from gnbv.dev.airflow_local import runner

    try:
        conf = json.loads(conf_json) if conf_json else None
    except json.JSONDecodeError as err:
        raise click.BadParameter(f"--conf is not JSON: {err}") from None
    when = _moment(at)
    runner.start()
    result = runner.run(dag_id, when, conf=conf)
    for task_id, state in sorted(result.tasks.items()):
        click.echo(f"{state:16} {task_id}")
    click.echo(f"{dag_id} {when:%Y-%m-%d %H:%M}: {result.state} in {result.seconds:.1f}s")
    sys.exit(0 if result.ok else 1)


# --------------------------------------------------------------------------- gnbv inbox


@click.group("inbox")
def inbox_group() -> None:
    """The inbox districts drop reports into ($GNBV_INBOX, default ./inbox): <province>/<YYYY-MM>/."""


@inbox_group.command("status")
def inbox_status() -> None:
    """What waits in the inbox and what is claimed, without taking anything."""
    from gnbv.orchestration import inbox

    lay = inbox.layout()
    for name in ("inbox", "archive", "quarantine"):
        click.echo(f"{name:11} {inbox.local_path(getattr(lay, name))}")
    waiting = inbox.list_new(lay, periods=None, as_of=dt.datetime.now(dt.UTC), log=click.echo)
    for item in waiting:
        click.echo(f"waiting  {item.province}/{item.period}/{item.name}  received {item.received_at:%Y-%m-%d %H:%M}")
    claimed = inbox.stale_claims(lay, older_than=dt.timedelta(0))
    for c in claimed:
        click.echo(f"claimed  {c.province}/{c.period}/{c.name}  since {c.claimed_at:%Y-%m-%d %H:%M} UTC")
    click.echo(f"{len(waiting)} waiting, {len(claimed)} claimed")


@inbox_group.command("run")
@click.option("--as-of", "as_of", help="Take files that had arrived by this time (default: now).")
def inbox_run(as_of: str | None) -> None:
    """Take what is new in the inbox, as one intake DAG run does (without Airflow): each file
    through intake and the gate, then to archive/ or quarantine/ with its note. Exits 1 when a
    file was rejected."""
    from gnbv.orchestration.intake import claim_new_files, in_batches, summary_lines, take_in_batch

    claims = claim_new_files(_moment(as_of), log=click.echo)
    outcomes = [o for batch in in_batches(claims) for o in take_in_batch(batch, log=lambda _line: None)]
    for line in summary_lines(outcomes):
        click.echo(line)
    sys.exit(0 if all(o["ok"] for o in outcomes) else 1)


# --------------------------------------------------------------------------- gnbv notify


@click.command("notify")
@click.argument("kind", type=click.Choice(["reminder", "summary"]))
@click.option("--province", default="04", show_default=True)
@click.option("--period", required=True, help=PERIOD_HELP)
@click.option(
    "--send",
    "send_to",
    help="E-mail it: the province's messages to these addresses (comma-separated), each unit's reminder to "
    "the unit's contacts; through $GNBV_SMTP_URL.",
)
def notify_command(kind: str, province: str, period: str, send_to: str | None) -> None:
    """Print (or e-mail) the deadline notice the deadline DAG sends: a reminder to each unit that
    has no accepted report (and an overview), or the month's reporting status after the deadline."""
    from gnbv import mail
    from gnbv.orchestration import deadline, notify

    _period(period)
    notice = {"kind": kind, "province": province, "period": period}
    smtp = None
    to: list[str] = []
    if send_to:
        try:
            smtp = mail.SmtpSettings.resolve()
        except mail.SmtpNotConfigured as err:
            raise click.UsageError(str(err)) from None
        to = notify.recipients(send_to)
    try:
        result = deadline.send(notice, as_of=_moment(None), to=to, smtp=smtp, log=click.echo, deliver=bool(send_to))
    except (deadline.NoticeError, notify.ComplianceNotReady) as err:
        raise click.ClickException(str(err)) from None
    if not send_to and result["messages"]:
        click.echo("(printed only: --send ADDRESSES e-mails it)")


if __name__ == "__main__":  # python -m gnbv.airflow_cli ui (before `gnbv airflow` is registered)
    airflow_group(prog_name="gnbv airflow")
