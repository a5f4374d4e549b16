"""Email a report version to its recipients: the workbook and the PDF attached (smtplib).

SMTP settings come from Airflow's SMTP connection ``smtp_default`` — the environment variable
``AIRFLOW_CONN_SMTP_DEFAULT`` as a URI (``smtp://user:pass@host:587?from_email=...``) or JSON, or
an Airflow ``Connection`` object — with Airflow's meaning of its extras (``disable_ssl``,
``disable_tls``: SSL and STARTTLS are on unless disabled; ``from_email``; ``timeout``); else from
``GNBV_SMTP_URL`` (``smtp://host:port`` plain, ``smtps://`` SSL, ``?starttls=true``,
``?from=sender@...``). Recipients: the caller's list, else ``GNBV_REPORT_RECIPIENTS``
(comma- or semicolon-separated).

The message is built from the version folder alone (its manifest and files), so a version can
be sent again, later, exactly as it was built.
"""

from __future__ import annotations

import json
import os
import re
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from gnbv.report.data import KIND_EN, KIND_VI
from gnbv.report.versions import read_manifest

ENV_AIRFLOW_CONN = "AIRFLOW_CONN_SMTP_DEFAULT"
ENV_SMTP_URL = "GNBV_SMTP_URL"
ENV_RECIPIENTS = "GNBV_REPORT_RECIPIENTS"
DEFAULT_SENDER = "gnbv-warehouse@localhost"
XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
PDF_TYPE = ("application", "pdf")


class SmtpNotConfigured(RuntimeError):
    """No SMTP connection is configured (AIRFLOW_CONN_SMTP_DEFAULT or GNBV_SMTP_URL)."""


def _flag(value: Any, default: bool) -> bool:
    """Airflow extras arrive as booleans (JSON) or strings (URI query): read both sensibly."""
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 25
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    use_ssl: bool = False
    starttls: bool = False
    sender: str = DEFAULT_SENDER
    timeout: float = 30.0

    # -- from Airflow's connection ------------------------------------------------------

    @classmethod
    def from_airflow(
        cls,
        *,
        host: str | None,
        port: int | None,
        login: str | None,
        password: str | None,
        extra: Mapping[str, Any] | None,
    ) -> SmtpSettings:
        extra = dict(extra or {})
        use_ssl = not _flag(extra.get("disable_ssl"), False)
        return cls(
            host=host or "localhost",
            port=int(port) if port else (465 if use_ssl else 25),
            username=login or None,
            password=password or None,
            use_ssl=use_ssl,
            starttls=not use_ssl and not _flag(extra.get("disable_tls"), False),
            sender=str(extra.get("from_email") or DEFAULT_SENDER),
            timeout=float(extra.get("timeout") or 30),
        )

    @classmethod
    def from_airflow_connection(cls, conn: Any) -> SmtpSettings:
        """From an ``airflow.models.Connection`` (``BaseHook.get_connection("smtp_default")``)."""
        return cls.from_airflow(
            host=conn.host, port=conn.port, login=conn.login, password=conn.password, extra=conn.extra_dejson
        )

    @classmethod
    def from_airflow_env(cls, value: str) -> SmtpSettings:
        """``AIRFLOW_CONN_SMTP_DEFAULT``: a connection URI or Airflow's JSON form."""
        value = value.strip()
        if value.startswith("{"):
            doc = json.loads(value)
            extra = doc.get("extra") or {}
            if isinstance(extra, str):
                extra = json.loads(extra) if extra.strip() else {}
            return cls.from_airflow(
                host=doc.get("host"),
                port=doc.get("port"),
                login=doc.get("login"),
                password=doc.get("password"),
                extra=extra,
            )
        parts = urlsplit(value)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if "__extra__" in query:
            query = json.loads(query["__extra__"])
        return cls.from_airflow(
            host=unquote(parts.hostname or ""),
            port=parts.port,
            login=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            extra=query,
        )

    # -- from a plain URL ---------------------------------------------------------------

    @classmethod
    def from_url(cls, url: str) -> SmtpSettings:
        """``smtp://[user:pass@]host[:port][?starttls=true&from=a@b]`` or ``smtps://...``."""
        parts = urlsplit(url.strip())
        if parts.scheme not in ("smtp", "smtps"):
            raise ValueError(f"{ENV_SMTP_URL} must start with smtp:// or smtps://, not {parts.scheme!r}")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        use_ssl = parts.scheme == "smtps"
        return cls(
            host=parts.hostname or "localhost",
            port=parts.port or (465 if use_ssl else 25),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            use_ssl=use_ssl,
            starttls=_flag(query.get("starttls"), False),
            sender=query.get("from") or query.get("from_email") or DEFAULT_SENDER,
            timeout=float(query.get("timeout") or 30),
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SmtpSettings:
        env = os.environ if env is None else env
        if env.get(ENV_AIRFLOW_CONN, "").strip():
            return cls.from_airflow_env(env[ENV_AIRFLOW_CONN])
        if env.get(ENV_SMTP_URL, "").strip():
            return cls.from_url(env[ENV_SMTP_URL])
        raise SmtpNotConfigured(
            f"Chưa cấu hình máy chủ thư / no SMTP server configured: set {ENV_AIRFLOW_CONN} (Airflow's smtp_default "
            f"connection) or {ENV_SMTP_URL}=smtp://host:port"
        )


def recipients_from_env(env: Mapping[str, str] | None = None) -> list[str]:
    env = os.environ if env is None else env
    return [r.strip() for r in re.split(r"[,;]", env.get(ENV_RECIPIENTS, "")) if r.strip()]


def _attachments(version_dir: Path, manifest: Mapping[str, Any]) -> list[tuple[Path, tuple[str, str]]]:
    files = manifest["files"]
    return [(version_dir / files["workbook"], XLSX_TYPE), (version_dir / files["pdf"], PDF_TYPE)]


def build_message(version_dir: Path, recipients: Sequence[str], sender: str) -> EmailMessage:
    manifest = read_manifest(version_dir)
    kind = manifest["kind"]
    period = manifest["period"]
    month = f"{period[5:7]}/{period[:4]}"
    province = manifest["province_name"]
    version = manifest["version"]
    summary = manifest.get("summary", {})

    msg = EmailMessage()
    msg["Subject"] = (
        f"[GNBV] Báo cáo giải ngân CTMTQG giảm nghèo bền vững – {province} – tháng {month} "
        f"(v{version}, {KIND_VI[kind]}) / Monthly disbursement report, {month} (v{version}, {KIND_EN[kind]})"
    )
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=sender.split("@")[-1] or "localhost")
    msg["X-GNBV-Version"] = manifest["label"]
    msg["X-GNBV-Data-SHA256"] = manifest["data"]["fingerprint_sha256"]

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
        "",
        "Thư gửi tự động từ kho dữ liệu gnbv-warehouse / sent automatically by gnbv-warehouse.",
    ]
    msg.set_content("\n".join(lines), charset="utf-8")
    for path, (maintype, subtype) in _attachments(version_dir, manifest):
        msg.add_attachment(path.read_bytes(), maintype=maintype, subtype=subtype, filename=path.name)
    return msg


def send_report(version_dir: Path, recipients: Sequence[str], smtp: SmtpSettings) -> str:
    """Send the version's workbook and PDF to ``recipients``; returns the Message-ID."""
    recipients = [r for r in recipients if r]
    if not recipients:
        raise ValueError(f"không có người nhận / no recipients (pass them, or set {ENV_RECIPIENTS})")
    msg = build_message(Path(version_dir), recipients, smtp.sender)
    client: smtplib.SMTP
    if smtp.use_ssl:
        client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout, context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
    with client:
        if smtp.starttls:
            client.starttls(context=ssl.create_default_context())
        if smtp.username:
            client.login(smtp.username, smtp.password or "")
        client.send_message(msg, from_addr=smtp.sender, to_addrs=list(recipients))
    return str(msg["Message-ID"])
