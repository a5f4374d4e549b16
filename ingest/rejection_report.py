"""The note a sender receives when a submission is rejected (or accepted with warnings).

Plain UTF-8 text, Vietnamese first with English beside it, one numbered item per problem with
the sheet, cell and value it concerns and what would fix it: readable in any mail client, and
attached beside the file in quarantine.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ingest.cell_problem import CellProblem
from ingest.names import safe_name, shown_name

_TITLES = {
    "rejected": "BÁO CÁO BỊ TỪ CHỐI — SUBMISSION REJECTED",
    "accepted": "BÁO CÁO ĐÃ TIẾP NHẬN, CÓ CẢNH BÁO — SUBMISSION ACCEPTED WITH WARNINGS",
}


def only_a_tie(errors: list[CellProblem]) -> bool:
    """Rejected only for arriving with another file of the same report (``several_files_at_once``):
    there is nothing to fix in the file, one file is to be sent."""
    return bool(errors) and all(p.code == "several_files_at_once" for p in errors)


def _where(p: CellProblem) -> str:
    location = "!".join(part for part in (p.sheet, p.cell) if part)
    return f"trang/ô (sheet/cell) {location}" if location else "toàn tệp (whole file)"


def render(
    *,
    file_name: str,
    status: str,
    problems: list[CellProblem],
    unit: str | None,
    period: dt.date | None,
    received_at: dt.datetime,
    submission_id: str,
) -> str:
    lines = [
        _TITLES.get(status, status.upper()),
        "",
        f"Tệp (file):                {shown_name(file_name)}",
        f"Đơn vị (unit):             {unit or '—'}",
        f"Kỳ báo cáo (period):       {period:%m/%Y}" if period else "Kỳ báo cáo (period):       —",
        f"Thời điểm nhận (received): {received_at:%d/%m/%Y %H:%M} (giờ Việt Nam)",
        f"Mã báo cáo (submission):   {submission_id}",
        "",
    ]
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity == "warning"]
    for heading, items in (("LỖI CẦN SỬA (errors to fix)", errors), ("CẢNH BÁO (warnings)", warnings)):
        if not items:
            continue
        lines += [f"{heading}: {len(items)}", ""]
        for number, p in enumerate(items, start=1):
            lines += [
                f"{number}. [{p.code}] {_where(p)}" + (f" — giá trị (value): {p.value}" if p.value else ""),
                f"   {p.message_vi}",
                f"   {p.message_en}",
            ]
            if p.hint_vi:
                lines += [f"   Cách sửa: {p.hint_vi}", f"   To fix: {p.hint_en}"]
            lines.append("")
    if errors and only_a_tie(errors):  # nothing to fix in the file: which file is meant is unknown
        lines.append("Không có số liệu nào của tệp này được đưa vào kho dữ liệu. Chỉ gửi lại một tệp (bản đúng).")
        lines.append("Nothing from this file was loaded. Send one file (the right one) again.")
    elif errors:
        lines.append("Không có số liệu nào của tệp này được đưa vào kho dữ liệu. Sửa các lỗi trên rồi gửi lại tệp.")
        lines.append("Nothing from this file was loaded. Fix the errors above and send the file again.")
    return "\n".join(lines).rstrip() + "\n"


def write(report_dir: Path, file_name: str, text: str) -> Path:
    report_dir.mkdir(parents=True, exist_ok=True)
    path = report_dir / f"{safe_name(file_name)}.bao-cao-kiem-tra.txt"
    path.write_text(text, encoding="utf-8")
    return path
