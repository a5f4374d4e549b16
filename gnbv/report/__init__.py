"""The monthly consolidation report: presentation only, read from the marts.

``build_monthly_report(province, period, out_dir)`` makes (or finds) the report version of a
province-month — the official workbook, an HTML and a PDF document with charts, and a manifest
stamped with the data it was built from; ``publish(version)`` emails it (refused when the
consolidation gate failed). See docs/report.md.
"""

from gnbv.report.build import Delivery, ReportBlocked, ReportVersion, build_monthly_report, publish
from gnbv.report.email import send_report

__all__ = [
    "Delivery",
    "ReportBlocked",
    "ReportVersion",
    "build_monthly_report",
    "publish",
    "send_report",
]
