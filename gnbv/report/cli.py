"""``gnbv report``: build (and optionally email) a province-month's consolidation report."""

from __future__ import annotations

import sys
from typing import Any

import click

from gnbv.cli_params import reporting_month


@click.command("report")
@click.option("--province", required=True, help="Province code, e.g. 04 (Cao Bằng).")
@click.option("--period", required=True, help="Reporting month as YYYY-MM.")
@click.option("--send", is_flag=True, help="Email the version (workbook + PDF) once built (refused if blocked).")
@click.option(
    "--to",
    "recipients",
    multiple=True,
    help="Recipient (repeatable); default: GNBV_REPORT_RECIPIENTS. SMTP: AIRFLOW_CONN_SMTP_DEFAULT or GNBV_SMTP_URL.",
)
@click.option(
    "--agency",
    "agencies",
    multiple=True,
    help="A lead agency's report instead (only the components it leads), e.g. SXD; repeatable; "
    "'all' for every lead agency of the province, after the province's own report.",
)
def report_command(
    province: str, period: str, send: bool, recipients: tuple[str, ...], agencies: tuple[str, ...]
) -> None:
    """Build the monthly consolidation report of a province from the marts.

    Writes the official workbook (.xlsx), the document (.html, .pdf) with its charts, and a
    manifest stamped with the data it was built from, into the report archive the consolidation
    DAG uses too (GNBV_REPORTS, default <project>/reports): one sequence of versions per month,
    whoever builds. Provisional before the 15th, final on it, a revision when a late correction
    changes the figures; unchanged data makes no new version. With --agency, the report of a
    lead agency (Sở Xây dựng, Sở Y tế, …: only the projects it leads), filed under
    <month>/agencies/<CODE>/. Prints each version folder; exits 1 when the consolidation failed
    its gate (the version is kept but blocked: it is not sent).
    """
    from gnbv.report.build import build_monthly_report, lead_agencies
    from gnbv.report.data import NoSuchAgency, NoSuchProvince

    month = reporting_month(period)
    try:
        if "all" in (a.lower() for a in agencies):
            codes: list[str | None] = [None, *(a.code for a in lead_agencies(province, month))]
        else:
            codes = list(agencies) or [None]
        for code in codes:
            version = build_monthly_report(province, month, agency=code)
            _report_version(version, send, recipients)
    except (NoSuchProvince, NoSuchAgency) as err:
        raise click.ClickException(str(err)) from None


def _report_version(version: Any, send: bool, recipients: tuple[str, ...]) -> None:
    from gnbv.mail import SmtpNotConfigured
    from gnbv.report.build import ReportBlocked, publish

    verb = "BUILT" if version.created else "UNCHANGED"
    click.echo(f"{verb:9} {version.label}  {version.directory}")
    for path in (version.workbook, version.html, version.pdf):
        click.echo(f"          {path.name}")
    if version.blocked:
        click.echo("BLOCKED   consolidation gate failed: not published / kiểm tra tổng hợp không đạt, không phát hành")
        for failure in version.gate_failures:
            click.echo(f"  ✗ {failure}")
        sys.exit(1)
    for warning in version.gate_warnings:
        click.echo(f"  ! {warning}")
    if send:
        try:
            delivery = publish(version, list(recipients) or None)
        except (ReportBlocked, SmtpNotConfigured, ValueError, OSError) as err:
            raise click.ClickException(str(err)) from None
        click.echo(f"SENT      {', '.join(delivery.recipients)}  ({delivery.message_id})")
