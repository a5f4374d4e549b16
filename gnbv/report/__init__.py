"""The monthly consolidation report: presentation only, read from the marts.

``build_monthly_report(province, period, out_dir)`` makes (or finds) the report version of a
province-month — the official workbook, an HTML and a PDF document with charts, and a manifest
stamped with the data it was built from; ``publish(version)`` emails it (refused when the
consolidation gate failed). See docs/report.md.

The names below are imported on first use: importing ``gnbv.report.cli`` (every ``gnbv --help``)
must not load matplotlib, openpyxl and the rest of what building a report needs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gnbv.report.build import Delivery, ReportBlocked, ReportVersion, build_monthly_report, publish
    from gnbv.report.email import send_report

_HOMES = {
    "Delivery": "gnbv.report.build",
    "ReportBlocked": "gnbv.report.build",
    "ReportVersion": "gnbv.report.build",
    "build_monthly_report": "gnbv.report.build",
    "publish": "gnbv.report.build",
    "send_report": "gnbv.report.email",
}

__all__ = [
    "Delivery",
    "ReportBlocked",
    "ReportVersion",
    "build_monthly_report",
    "publish",
    "send_report",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value
