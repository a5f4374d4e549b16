"""Build a province-month's report version, and publish it.

``build_monthly_report`` is what the consolidation DAG, ``gnbv report`` and the tests call:
read the marts, decide the version (gnbv.report.versions), run the consolidation gate, write
the workbook, the HTML and the PDF with the charts, and stamp it all in ``manifest.json``.

A version whose consolidation gate failed is still built and kept (people need to see what is
wrong) but is marked ``blocked`` — in its manifest, on every page and sheet — and ``publish``
refuses it with :class:`ReportBlocked`: nothing of it is emailed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg

from gnbv import mail
from gnbv.report import changes, versions
from gnbv.report.charts import all_charts
from gnbv.report.data import Agency, ReportData, Stamp
from gnbv.report.document import document_context, write_html, write_pdf
from gnbv.report.email import recipients_from_env, send_report
from gnbv.report.reading import load_report_data
from gnbv.report.summary import summarise
from gnbv.report.workbook import write_workbook

VN = ZoneInfo("Asia/Ho_Chi_Minh")
MARTS_READ = (
    "mart_province_consolidation",
    "mart_reporting_compliance",
    "fct_fund_disbursement",
    "fct_outcome",
    "fct_poverty",
    "fct_submission",
    "dim_component",
    "dim_component_lead_agency",
    "dim_funding_source",
    "dim_indicator",
    "dim_admin_unit",
    "dim_period",
)
DELIVERIES = "deliveries.jsonl"
AGENCIES_DIR = "agencies"  # an agency's versions: <month>/agencies/<agency code>/v<N>_…


class ReportBlocked(RuntimeError):
    """The version's consolidation failed the gate: it must not be published."""


@dataclass(frozen=True)
class ReportVersion:
    province: str
    period: dt.date
    number: int
    kind: str
    data_hash: str
    directory: Path
    built_at: dt.datetime
    created: bool  # False when the build found this version already made from the same data
    gate_passed: bool
    gate_failures: tuple[str, ...]
    gate_warnings: tuple[str, ...]
    files: dict[str, str]
    agency: str | None = None  # the lead agency of an agency's report

    @property
    def label(self) -> str:
        return self.directory.name

    @property
    def blocked(self) -> bool:
        return not self.gate_passed

    @property
    def manifest(self) -> Path:
        return self.directory / versions.MANIFEST

    @property
    def workbook(self) -> Path:
        return self.directory / self.files["workbook"]

    @property
    def html(self) -> Path:
        return self.directory / self.files["html"]

    @property
    def pdf(self) -> Path:
        return self.directory / self.files["pdf"]

    @classmethod
    def from_dir(cls, directory: Path, *, created: bool = False) -> ReportVersion:
        m = versions.read_manifest(directory)
        return cls(
            province=m["province_code"],
            period=dt.date.fromisoformat(m["period"] + "-01"),
            number=int(m["version"]),
            kind=m["kind"],
            data_hash=m["data"]["fingerprint_sha256"],
            directory=Path(directory),
            built_at=dt.datetime.fromisoformat(m["built_at"]),
            created=created,
            gate_passed=bool(m["gate"]["passed"]),
            gate_failures=tuple(m["gate"]["failures"]),
            gate_warnings=tuple(m["gate"]["warnings"]),
            files={k: v for k, v in m["files"].items() if isinstance(v, str)},
            agency=(m.get("agency") or {}).get("code"),
        )


@dataclass(frozen=True)
class Delivery:
    version: str
    recipients: tuple[str, ...]
    message_id: str
    sent_at: dt.datetime


@contextlib.contextmanager
def _connection(conn: psycopg.Connection[Any] | None) -> Iterator[psycopg.Connection[Any]]:
    if conn is not None:
        yield conn
        return
    from gnbv import db

    with db.connect() as own:
        yield own


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _generator_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("gnbv-warehouse")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
        return "unknown"


def _gate(conn: psycopg.Connection[Any], province: str, period: dt.date) -> tuple[bool, list[str], list[str]]:
    from gnbv.consolidation_gate import validate_consolidation

    verdict = validate_consolidation(conn, province, period)
    return verdict.success, list(verdict.failures), list(verdict.warnings)


def build_monthly_report(
    province: str,
    period: dt.date,
    out_dir: Path | None = None,
    *,
    conn: psycopg.Connection[Any] | None = None,
    now: dt.datetime | None = None,
    agency: str | None = None,
) -> ReportVersion:
    """Build (or find, when the data did not change) the report version of a province-month.

    ``out_dir`` is the report archive (default ``versions.archive_root()``: the one the DAG,
    ``gnbv report`` and the demo share, so a month has one version sequence). ``now`` is the
    build time (default: now); its date in Asia/Ho_Chi_Minh against the month's due date decides
    provisional / final / revision. ``agency``: the report of one lead agency (only the components
    it leads, dim_component_lead_agency), versioned on its own under ``<month>/agencies/<code>/``.
    Returns the version; ``created`` says whether this call made it.
    """
    now = now or dt.datetime.now(VN)
    if now.tzinfo is None:
        now = now.replace(tzinfo=VN)
    now = now.astimezone(VN)
    period = period.replace(day=1)
    out_dir = Path(out_dir) if out_dir is not None else versions.archive_root()
    with _connection(conn) as c:
        data = load_report_data(c, province, period)
        if agency is not None:
            data = data.for_agency(agency)
        fingerprint = data.fingerprint()
        due, due_source = versions.due_date(data.period)
        month = versions.month_dir(out_dir, province, period)
        if agency is not None:
            month = month / AGENCIES_DIR / agency
        with versions.month_lock(month):
            decision = versions.decide(versions.existing_versions(month), fingerprint, now.date(), due)
            if decision.reuse is not None:
                return ReportVersion.from_dir(decision.reuse.directory, created=False)
            gate_passed, failures, warnings = _gate(c, province, period)
            figures = changes.figures_of(data)
            moved = _changes_since(decision.previous, figures)
            stamp = Stamp(decision.number, decision.kind, fingerprint, now, gate_passed)
            final_dir = month / versions.version_label(decision.number, decision.kind, fingerprint)
            staging = month / f".building-{uuid.uuid4().hex}"
            staging.mkdir()
            try:
                files = _write_outputs(staging, data, stamp, failures, warnings)
                manifest = _manifest(
                    data, stamp, decision, due, due_source, gate_passed, failures, warnings, files, staging
                )
                manifest["figures"], manifest["changes"] = figures, moved
                (staging / versions.MANIFEST).write_text(
                    json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
                )
                os.rename(staging, final_dir)
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
    return ReportVersion.from_dir(final_dir, created=True)


def lead_agencies(province: str, period: dt.date, *, conn: psycopg.Connection[Any] | None = None) -> list[Agency]:
    """The agencies leading components in the province that month (each gets its own report)."""
    with _connection(conn) as c:
        return load_report_data(c, province, period.replace(day=1)).lead_agencies()


AGENCY_RECIPIENTS_ENV = "GNBV_REPORT_RECIPIENTS_{code}"  # e.g. GNBV_REPORT_RECIPIENTS_SXD


def report_recipients(agency: str | None = None, env: Mapping[str, str] | None = None) -> list[str]:
    """Who receives a report: ``GNBV_REPORT_RECIPIENTS`` for the province's, and for a lead
    agency's ``GNBV_REPORT_RECIPIENTS_<CODE>`` (the agency's own list; empty: filed, not sent)."""
    env = os.environ if env is None else env
    if agency is None:
        return recipients_from_env(env)
    return recipients_from_env({"GNBV_REPORT_RECIPIENTS": env.get(AGENCY_RECIPIENTS_ENV.format(code=agency), "")})


def build_agency_reports(
    province: str,
    period: dt.date,
    out_dir: Path | None = None,
    *,
    conn: psycopg.Connection[Any] | None = None,
    now: dt.datetime | None = None,
) -> list[ReportVersion]:
    """Every lead agency's report of the province-month, beside the province's."""
    with _connection(conn) as c:
        return [
            build_monthly_report(province, period, out_dir, conn=c, now=now, agency=a.code)
            for a in lead_agencies(province, period, conn=c)
        ]


def _changes_since(previous: versions.ExistingVersion | None, figures: dict[str, Any]) -> dict[str, Any] | None:
    """What moved since the previous version (None for a first version, or one built before
    versions recorded their figures)."""
    if previous is None:
        return None
    return changes.compare(versions.read_manifest(previous.directory).get("figures"), figures, since=previous.label)


def _file_stem(data: ReportData, stamp: Stamp) -> str:
    agency = f"_{data.agency.code}" if data.agency else ""
    return f"BaoCao_GNBV_{data.province.unit_code}{agency}_{data.period_month:%Y-%m}_v{stamp.version}_{stamp.kind}"


def _write_outputs(
    directory: Path, data: ReportData, stamp: Stamp, failures: Sequence[str], warnings: Sequence[str]
) -> dict[str, Any]:
    summary = summarise(data, stamp, failures, warnings)
    charts = all_charts(data)
    stem = _file_stem(data, stamp)
    gate_lines = [f"✗ {f}" for f in failures] + [f"! {w}" for w in warnings]
    extra = [
        ("Bài nộp đang dùng", str(len(data.submission_ids_in_force()))),
        ("Thứ tự nạp lớn nhất (ingest_seq)", str(data.max_ingest_seq() or "")),
    ]
    workbook = write_workbook(directory / f"{stem}.xlsx", data, stamp, gate_lines=gate_lines, extra_facts=extra)
    context = document_context(data, stamp, summary, charts)
    html = write_html(directory / f"{stem}.html", context)
    pdf = write_pdf(directory / f"{stem}.pdf", context)
    (directory / "charts").mkdir()
    for chart in charts:
        (directory / "charts" / f"{chart.name}.png").write_bytes(chart.png)
    return {
        "workbook": workbook.name,
        "html": html.name,
        "pdf": pdf.name,
        "charts": [f"charts/{c.name}.png" for c in charts],
        "summary": {
            "status_vi": [summary.status_vi],
            "status_en": [summary.status_en],
            "vi": summary.paragraphs_vi,
            "en": summary.paragraphs_en,
            "late": [f"{u.unit_name} ({u.detail_vi})" for u in summary.late],
            "missing": [u.unit_name for u in summary.missing],
            "warnings": summary.warnings,
        },
    }


def _manifest(
    data: ReportData,
    stamp: Stamp,
    decision: versions.Decision,
    due: dt.date,
    due_source: str,
    gate_passed: bool,
    failures: Sequence[str],
    warnings: Sequence[str],
    outputs: dict[str, Any],
    directory: Path,
) -> dict[str, Any]:
    names = [outputs["workbook"], outputs["html"], outputs["pdf"], *outputs["charts"]]
    return {
        "schema": 1,
        "report": "gnbv monthly consolidation report (CTMTQG GNBV)",
        "province_code": data.province.unit_code,
        "province_name": data.province.unit_name,
        "agency": {"code": data.agency.code, "name_vi": data.agency.name_vi} if data.agency else None,
        "period": f"{data.period_month:%Y-%m}",
        "version": stamp.version,
        "kind": stamp.kind,
        "label": stamp.label,
        "built_at": stamp.built_at.isoformat(),
        "reason": decision.reason,
        "previous_version": decision.previous.label if decision.previous else None,
        "kind_rule": {
            "province_due_date": due.isoformat(),
            "due_date_source": due_source,
            "build_date_local": stamp.built_at.date().isoformat(),
            "rule": "provisional before the due date; final on or after it; revision when data change after a final",
        },
        "blocked": not gate_passed,
        "gate": {"passed": gate_passed, "failures": list(failures), "warnings": list(warnings)},
        "data": {
            "fingerprint_sha256": stamp.data_hash,
            "fingerprint_of": "every figure, status and label the report shows, as read from the marts, "
            "except the load order numbers (ingest_seq)",
            "marts_read": [f"marts.{m}" for m in MARTS_READ],
            "submissions_in_force": data.submission_ids_in_force(),
            "submissions_in_force_by_unit": data.in_force,
            "max_ingest_seq": data.max_ingest_seq(),
            "units_expected": data.coverage.units_expected if data.coverage else len(data.compliance),
            "units_reported": data.coverage.units_reported if data.coverage else 0,
            "compliance": {c.unit_code: c.status for c in data.compliance},
        },
        "summary": outputs["summary"],
        "files": {
            "workbook": outputs["workbook"],
            "html": outputs["html"],
            "pdf": outputs["pdf"],
            "charts": outputs["charts"],
            "sha256": {name: _sha256(directory / name) for name in names},
        },
        "generator": {"package": "gnbv-warehouse", "version": _generator_version()},
    }


def publish(
    version: ReportVersion | Path,
    recipients: Sequence[str] | None = None,
    *,
    smtp: mail.SmtpSettings | None = None,
    now: dt.datetime | None = None,
) -> Delivery:
    """Email a version (workbook + PDF) to ``recipients`` (default: GNBV_REPORT_RECIPIENTS).

    Raises :class:`ReportBlocked` when the version's consolidation failed the gate; each
    delivery is appended to the version's ``deliveries.jsonl``.
    """
    if isinstance(version, Path):
        version = ReportVersion.from_dir(version)
    if version.blocked:
        raise ReportBlocked(
            f"Báo cáo {version.province} {version.period:%m/%Y} {version.label} không được phát hành: số liệu tổng hợp "
            f"không đạt kiểm tra / the consolidation failed its gate and is not published:\n  "
            + "\n  ".join(version.gate_failures)
        )
    to = list(recipients) if recipients else report_recipients(version.agency)
    settings = smtp or mail.SmtpSettings.resolve()
    message_id = send_report(version.directory, to, settings)
    sent_at = (now or dt.datetime.now(VN)).astimezone(VN)
    record = {"sent_at": sent_at.isoformat(), "recipients": to, "message_id": message_id, "smtp_host": settings.host}
    with open(version.directory / DELIVERIES, "a", encoding="utf-8") as log:
        log.write(json.dumps(record, ensure_ascii=False) + "\n")
    return Delivery(version.label, tuple(to), message_id, sent_at)
