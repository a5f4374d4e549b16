"""``gnbv bi …``: Apache Superset on the marts, with the province's dashboards from the repo.

Register in ``gnbv/cli.py`` with ``main.add_command(bi_group)``; this module imports only click
at load time (``gnbv --help`` stays fast), the rest when a command runs.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable

import click


def _paths():  # type: ignore[no-untyped-def]
    from gnbv.bi.superset import SupersetPaths

    return SupersetPaths.for_root()


def _with_errors(func: Callable[..., None]) -> Callable[..., None]:
    """BI problems a user can act on print as one line, not a traceback."""

    @functools.wraps(func)
    def wrapper(*args: object, **kwargs: object) -> None:
        from gnbv.bi.superset import BiError

        try:
            func(*args, **kwargs)
        except BiError as err:
            raise click.ClickException(str(err)) from None

    return wrapper


@click.group("bi")
def bi_group() -> None:
    """BI on the marts: Apache Superset with the province's dashboards (as code, in the repo).

    Superset lives in an environment of its own under .gnbv/bi/ (never Airflow's) and reads the
    warehouse over TCP as a log-in of the read-only role gnbv_bi. First let the embedded
    warehouse listen on TCP (password logins only), then start Superset:

    \b
        gnbv warehouse start --listen 127.0.0.1:5433
        gnbv bi start     # the first time installs Superset (about a minute)
    """


@bi_group.command("install")
@_with_errors
def bi_install() -> None:
    """Install Superset into .gnbv/bi/venv from deploy/superset/requirements.txt (hashes checked)."""
    from gnbv.bi import superset

    paths = _paths()
    if not superset.install(paths, echo=click.echo):
        click.echo(f"Superset is installed in {paths.venv} (up to date)")


@bi_group.command("start")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address Superset listens on.")
@click.option("--port", default=8088, show_default=True, help="Port Superset listens on.")
@_with_errors
def bi_start(host: str, port: int) -> None:
    """Start Superset (installing it the first time) and provision the dashboards from the repo.

    The dashboards come from deploy/superset/assets/; one whose marts are not built yet is
    named and skipped until they are. Running it again changes nothing but the BI log-in's
    password, which only Superset holds.
    """
    from gnbv.bi import provision, superset

    paths = _paths()
    result = provision.start_and_provision(paths, host=host, port=port, echo=click.echo)
    _show(result)
    click.echo(f"log in as {superset.ADMIN_USER}, password in {paths.admin_password_file}")


@bi_group.command("provision")
@_with_errors
def bi_provision() -> None:
    """Import the dashboards from the repo into the running Superset again (after a change)."""
    from gnbv.bi import provision, superset

    paths = _paths()
    server = superset.running(paths)
    if server is None:
        raise click.ClickException("Superset is not running: `gnbv bi start`")
    _show(provision.provision(paths, server))


def _show(result) -> None:  # type: ignore[no-untyped-def]
    click.echo(f"Superset: {result.url}")
    for title, url in sorted(result.dashboards.items()):
        click.echo(f"  {title}\n    {url}")
    for title, marts in sorted(result.waiting.items()):
        click.echo(f"  not yet provisioned, waiting for {', '.join(f'marts.{m}' for m in sorted(marts))}: {title}")


@bi_group.command("stop")
@_with_errors
def bi_stop() -> None:
    """Stop Superset."""
    from gnbv.bi import superset

    click.echo("stopped" if superset.stop(_paths()) else "not running")


@bi_group.command("status")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@_with_errors
def bi_status(as_json: bool) -> None:
    """Show whether Superset is installed and running, and where its files are."""
    from gnbv.bi import superset

    status = superset.status(_paths()).to_dict()
    if as_json:
        click.echo(json.dumps(status, indent=2))
        return
    for key, value in status.items():
        click.echo(f"{key:10} {value}")


@bi_group.command("export")
@_with_errors
def bi_export() -> None:
    """Write the running Superset's dashboards back into deploy/superset/assets/ (to review and
    commit what was changed in Superset's UI)."""
    from gnbv.bi import provision, superset

    paths = _paths()
    server = superset.running(paths)
    if server is None:
        raise click.ClickException("Superset is not running: `gnbv bi start`")
    written = provision.export_dashboards(paths, server)
    click.echo(f"{len(written)} file(s) written in {provision.ASSETS_DIR}: review with `git diff`")


@bi_group.command("login")
@click.option(
    "--name", default="gnbv_bi_reader", show_default=True, help="Log-in to create, or whose password to rotate."
)
@_with_errors
def bi_login(name: str) -> None:
    """Create a read-only BI log-in (member of gnbv_bi only), or give it a new password.

    The generated password is shown once, here, and stored nowhere: keep it in the BI tool or
    a password manager. Running it again rotates the password (the old one stops working).
    """
    from gnbv import db
    from gnbv.bi import provision

    with db.connect() as conn:
        password = provision.rotate_login(conn, name)
    try:
        target: str = provision.warehouse_target().url(name)
    except provision.BiError as err:
        target = f"(no TCP address: {err})"
    click.echo(f"log-in   {name}  (member of gnbv_bi only: SELECT on schema marts, read-only sessions)")
    click.echo(f"password {password}")
    click.echo(f"connect  {target}")
    click.echo("The password is shown only this once.", err=True)
    sys.stdout.flush()
