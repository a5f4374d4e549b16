"""The official frame of a report (Nghị định 30/2020/NĐ-CP, Phụ lục I), shared by the workbook
and the PDF: issuing body under its parent body, the national name and motto, the number and
symbol, place and date, the kind and subject of the document, "Nơi nhận" and the signature.

Who issues what: a province's report is consolidated by its standing agency (the agency leading
the most components: Sở Lao động - Thương binh và Xã hội in the seeds' plans) and sent to the
province's People's Committee; an agency's report (``gnbv report --agency``) is issued by that
agency and sent to the People's Committee through the standing agency (Cao Bằng VII.2). The
number is left blank for the registry (văn thư) to fill in when the document is issued, and the
signer's name is a placeholder: the system drafts, an official signs.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from gnbv.report.data import Agency, ReportData, Stamp

NATIONAL_NAME = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
DOCUMENT_KIND = "BÁO CÁO"
SYMBOL_KIND = "BC"  # báo cáo
NUMBER_BLANK = " " * 8  # the registry writes the number when the document is issued
SIGNER_NOTE = "(Ký, ghi rõ họ tên, đóng dấu)"
SIGNER_NAME_PLACEHOLDER = "……………………………"
RECIPIENTS_TITLE = "Nơi nhận:"
SUBJECT = "Tình hình thực hiện và giải ngân vốn Chương trình mục tiêu quốc gia giảm nghèo bền vững"
_SMALL_WORDS = {"và", "-", "–"}
_PROVINCE_PREFIXES = ("Tỉnh ", "Thành phố ", "tỉnh ", "thành phố ")


@dataclass(frozen=True)
class OfficialFrame:
    parent_body: str  # UBND TỈNH CAO BẰNG
    issuer: str  # SỞ LAO ĐỘNG - THƯƠNG BINH VÀ XÃ HỘI
    issuer_name: str  # Sở Lao động - Thương binh và Xã hội
    number_line: str  # Số:        /BC-SLĐTBXH
    place_date: str  # Cao Bằng, ngày 15 tháng 3 năm 2024
    subject: str  # Tình hình … tháng 3 năm 2024
    scope: str  # what the figures cover
    recipients: tuple[str, ...]
    signer_title: str

    def annex_note(self) -> str:
        """``(Kèm theo Báo cáo số      /BC-SLĐTBXH ngày 15/3/2024 của Sở …)`` under an annex title."""
        number = self.number_line.removeprefix("Số:")
        return f"(Kèm theo Báo cáo số{number} {self.date_short} của {self.issuer_name})"

    @property
    def date_short(self) -> str:
        match = re.search(r"ngày (\d+) tháng (\d+) năm (\d+)", self.place_date)
        return f"ngày {match.group(1)}/{match.group(2)}/{match.group(3)}" if match else ""


def place_name(province_name: str) -> str:
    """``Tỉnh Cao Bằng`` → ``Cao Bằng`` (the place written before the date)."""
    for prefix in _PROVINCE_PREFIXES:
        if province_name.startswith(prefix):
            return province_name[len(prefix) :]
    return province_name


def dated(place: str, day: dt.date) -> str:
    """``Cao Bằng, ngày 05 tháng 02 năm 2024``: a day below 10 and the months 1 and 2 take a
    leading zero (Nghị định 30/2020/NĐ-CP, Phụ lục I, mục II.5)."""
    month = f"{day.month:02d}" if day.month <= 2 else str(day.month)
    return f"{place}, ngày {day.day:02d} tháng {month} năm {day.year}"


def abbreviation(name: str) -> str:
    """The symbol of a body from its name: ``Sở Lao động - Thương binh và Xã hội`` → ``SLĐTBXH``."""
    words = [w for w in name.replace("-", " - ").split() if w.lower() not in _SMALL_WORDS]
    return "".join(w[0].upper() for w in words if w[0].isalpha())


def province_body(data: ReportData) -> str:
    """``UBND tỉnh Cao Bằng``."""
    name = data.province.unit_name
    return "UBND " + (name[:1].lower() + name[1:] if name else data.province.unit_code)


def official_frame(data: ReportData, stamp: Stamp) -> OfficialFrame:
    province = province_body(data)
    standing = data.standing_agency()
    issuer: Agency | None = data.agency or standing
    issuer_name = issuer.name_vi if issuer else province
    symbol = abbreviation(issuer.name_vi) if issuer else "UBND"
    month = data.period_month
    subject = f"{SUBJECT} tháng {month.month} năm {month.year}"
    if data.agency is not None:
        subject += f" (các dự án, tiểu dự án do {data.agency.name_vi} chủ trì)"
        scope = f"Phạm vi: các dự án, tiểu dự án do {data.agency.name_vi} chủ trì, toàn {place_scope(data)}"
        via = (
            f" (qua {standing.name_vi} tổng hợp)"
            if standing is not None and standing.code != data.agency.code
            else " (để báo cáo)"
        )
        recipients: tuple[str, ...] = (f"- {province}{via};", "- Lưu: VT.")
    else:
        scope = f"Phạm vi: toàn {place_scope(data)} (tổng hợp số liệu các đơn vị báo cáo)"
        recipients = (f"- {province} (để báo cáo);", "- Các cơ quan chủ trì dự án, tiểu dự án;", "- Lưu: VT.")
    return OfficialFrame(
        parent_body=province.upper() if issuer else "",
        issuer=issuer_name.upper(),
        issuer_name=issuer_name,
        number_line=f"Số:{NUMBER_BLANK}/{SYMBOL_KIND}-{symbol}",
        place_date=dated(place_name(data.province.unit_name), stamp.built_at.date()),
        subject=subject,
        scope=scope,
        recipients=recipients,
        signer_title="GIÁM ĐỐC" if issuer else "TM. ỦY BAN NHÂN DÂN",
    )


def place_scope(data: ReportData) -> str:
    """``tỉnh Cao Bằng``."""
    name = data.province.unit_name
    return name[:1].lower() + name[1:] if name else data.province.unit_code
