"""E-mail a report version to its recipients: the workbook and the PDF attached.

Recipients: the caller's list, else ``GNBV_REPORT_RECIPIENTS`` (comma- or semicolon-separated).
The SMTP server and the sending are ``gnbv.mail``'s, as for every e-mail of the project.

The message is built from the version folder alone (its manifest and files), so a version can
be sent again, later, exactly as it was built; a version made after another one says what
changed since (``gnbv.report.changes``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from gnbv import mail, settings
from gnbv.report.changes import describe
from gnbv.report.data import KIND_EN, KIND_VI
from gnbv.report.versions import read_manifest

ENV_RECIPIENTS = settings.REPORT_RECIPIENTS.name


def recipients_from_env(env: Mapping[str, str] | None = None) -> list[str]:
    env = os.environ if env is None else env
    return mail.addresses(env.get(ENV_RECIPIENTS, ""))


def _attachments(version_dir: Path, manifest: Mapping[str, Any]) -> list[mail.Attachment]:
    files = manifest["files"]
    return [
        mail.Attachment(files["workbook"], (version_dir / files["workbook"]).read_bytes(), mail.XLSX),
        mail.Attachment(files["pdf"], (version_dir / files["pdf"]).read_bytes(), mail.PDF),
    ]


def build_message(version_dir: Path, recipients: Sequence[str], sender: str) -> EmailMessage:
    manifest = read_manifest(version_dir)
    kind = manifest["kind"]
    period = manifest["period"]
    month = f"{period[5:7]}/{period[:4]}"
    province = manifest["province_name"]
    version = manifest["version"]
    summary = manifest.get("summary", {})
    changed_vi, changed_en = describe(manifest.get("changes"))

    lines = [
        "Kính gửi các đồng chí,",
        "",
        f"Gửi kèm báo cáo tình hình thực hiện và giải ngân vốn Chương trình MTQG giảm nghèo bền vững, {province}, "
        f"tháng {month} (phiên bản v{version}, {KIND_VI[kind]}).",
        "",
        *summary.get("status_vi", []),
        *summary.get("vi", []),
    ]
    if summary.get("late"):
        lines += ["", "Đơn vị báo cáo muộn: " + "; ".join(summary["late"]) + "."]
    if summary.get("missing"):
        lines += ["Đơn vị chưa báo cáo: " + "; ".join(summary["missing"]) + "."]
    if changed_vi:
        lines += ["", *changed_vi]
    lines += [
        "",
        "Tệp đính kèm: bảng tổng hợp Excel (mẫu chính thức) và báo cáo PDF.",
        f"Dữ liệu: {manifest['data']['fingerprint_sha256']} (lập lúc {manifest['built_at']}).",
        "",
        "— English —",
        f"Attached: the {KIND_EN[kind]} monthly consolidation report (v{version}) of the Sustainable Poverty "
        f"Reduction programme for {province}, {month}: the official Excel workbook and the PDF.",
        *summary.get("status_en", []),
        *summary.get("en", []),
    ]
    if changed_en:
        lines += ["", *changed_en]
    lines += ["", "Thư gửi tự động từ kho dữ liệu gnbv-warehouse / sent automatically by gnbv-warehouse."]
    return mail.message(
        subject=mail.subject(
            f"Báo cáo giải ngân CTMTQG giảm nghèo bền vững – {province} – tháng {month} (v{version}, {KIND_VI[kind]})",
            f"Monthly disbursement report, {month} (v{version}, {KIND_EN[kind]})",
        ),
        text="\n".join(lines),
        sender=sender,
        to=recipients,
        attachments=_attachments(version_dir, manifest),
        headers={"X-GNBV-Version": manifest["label"], "X-GNBV-Data-SHA256": manifest["data"]["fingerprint_sha256"]},
    )


def send_report(version_dir: Path, recipients: Sequence[str], smtp: mail.SmtpSettings) -> str:
    """Send the version's workbook and PDF to ``recipients``; returns the Message-ID."""
    recipients = mail.addresses(list(recipients))
    if not recipients:
        raise ValueError(f"không có người nhận / no recipients (pass them, or set {ENV_RECIPIENTS})")
    return mail.send(build_message(Path(version_dir), recipients, smtp.sender), smtp)
