"""E-mail: the project's one way to build and send a message.

Everything the warehouse e-mails goes through here — the verdict on a file to the unit that
sent it, the reminders and the reporting status, the monthly report and its revisions: one
``SmtpSettings``, resolved the same way for the DAGs and the command line, and one ``send``.

Where the SMTP server comes from (``SmtpSettings.resolve``), first found wins:

1. ``AIRFLOW_CONN_SMTP_DEFAULT`` — Airflow's ``smtp_default`` connection as a URI or as JSON
   (``gnbv airflow`` sets it from ``GNBV_SMTP_URL``; a deployment sets it, or defines the
   connection in Airflow);
2. inside an Airflow task, the ``smtp_default`` connection from Airflow's metadata;
3. ``GNBV_SMTP_URL``: ``smtp://[user:password@]host[:port][?starttls=true&from_email=a@b]``
   (``smtps://`` for SSL from the first byte).

An Airflow connection's extras mean what Airflow's SMTP provider makes of them: SSL unless
``disable_ssl``, STARTTLS (on a plain connection) unless ``disable_tls``, ``from_email``,
``timeout``. A plain URL is plain unless it says ``smtps://`` or ``starttls=true``.

Messages are plain text (UTF-8) with an optional HTML twin and attachments; Vietnamese first,
English beside it, is the callers' rule.
"""

from __future__ import annotations

import html
import json
import os
import re
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.header import Header
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.policy import default as default_policy
from email.utils import formatdate, make_msgid
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from gnbv import settings

ENV_AIRFLOW_CONN = "AIRFLOW_CONN_SMTP_DEFAULT"
ENV_SMTP_URL = settings.SMTP_URL.name
SMTP_CONN_ID = "smtp_default"
DEFAULT_SENDER = "gnbv-warehouse@localhost"
SUBJECT_PREFIX = "[GNBV]"

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSM = "application/vnd.ms-excel.sheet.macroEnabled.12"
PDF = "application/pdf"
TEXT = "text/plain"


class SmtpNotConfigured(RuntimeError):
    """No SMTP server is configured; the message says how to configure one."""


def _flag(value: Any, default: bool) -> bool:
    """Airflow extras arrive as booleans (JSON) or strings (URI query): read both."""
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

    # -- Airflow's connection -------------------------------------------------------------

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
        """From an Airflow ``Connection`` (``BaseHook.get_connection("smtp_default")``)."""
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

    def to_airflow_connection(self) -> str:
        """These settings as an Airflow SMTP connection (JSON form, for ``AIRFLOW_CONN_SMTP_DEFAULT``)."""
        conn: dict[str, object] = {
            "conn_type": "smtp",
            "host": self.host,
            "port": self.port,
            "extra": {
                "from_email": self.sender,
                "disable_ssl": not self.use_ssl,
                "disable_tls": not self.starttls,
                "timeout": self.timeout,
            },
        }
        if self.username:
            conn["login"] = self.username
        if self.password:
            conn["password"] = self.password
        return json.dumps(conn)

    # -- a plain URL ----------------------------------------------------------------------

    @classmethod
    def from_url(cls, url: str) -> SmtpSettings:
        """``smtp://[user:pass@]host[:port][?starttls=true&from_email=a@b&timeout=30]`` or ``smtps://…``."""
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
            starttls=not use_ssl and _flag(query.get("starttls"), False),
            sender=query.get("from_email") or query.get("from") or DEFAULT_SENDER,
            timeout=float(query.get("timeout") or 30),
        )

    # -- where the project finds them -----------------------------------------------------

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SmtpSettings | None:
        """From the environment (``AIRFLOW_CONN_SMTP_DEFAULT``, else ``GNBV_SMTP_URL``), or None."""
        env = os.environ if env is None else env
        if env.get(ENV_AIRFLOW_CONN, "").strip():
            return cls.from_airflow_env(env[ENV_AIRFLOW_CONN])
        if env.get(ENV_SMTP_URL, "").strip():
            return cls.from_url(env[ENV_SMTP_URL])
        return None

    @classmethod
    def resolve(cls, env: Mapping[str, str] | None = None) -> SmtpSettings:
        """The SMTP server in force (see the module's docstring); raises ``SmtpNotConfigured``."""
        found = cls.from_env(env)
        if found is None:
            found = _from_airflow_metadata()
        if found is None:
            raise SmtpNotConfigured(
                "Chưa cấu hình máy chủ thư / no SMTP server configured: set "
                f"{ENV_SMTP_URL}=smtp://host:port (or Airflow's {SMTP_CONN_ID} connection, {ENV_AIRFLOW_CONN})"
            )
        return found


def _from_airflow_metadata() -> SmtpSettings | None:
    """The ``smtp_default`` connection Airflow knows, when this runs inside Airflow (a task);
    None elsewhere: the command line never imports Airflow just to look."""
    import sys

    if "airflow.sdk" not in sys.modules:
        return None
    from airflow.sdk import BaseHook

    try:
        return SmtpSettings.from_airflow_connection(BaseHook.get_connection(SMTP_CONN_ID))
    except Exception:  # AirflowNotFoundException and friends: not defined
        return None


def addresses(text: str | Sequence[str] | None) -> list[str]:
    """Addresses from ``"a@x, b@y; c@z"`` (or a list of such texts), blanks and repeats dropped."""
    if text is None:
        return []
    parts = [text] if isinstance(text, str) else list(text)
    found: list[str] = []
    for part in parts:
        for address in re.split(r"[,;]", part):
            address = address.strip()
            if address and address not in found:
                found.append(address)
    return found


# --------------------------------------------------------------------------- building


class _Policy(EmailPolicy):
    """The standard policy, except that a Subject with non-ASCII text is encoded as Python's
    ``email.header.Header`` encodes it. The standard folder (Python 3.11) may break a long
    Vietnamese subject between two encoded words exactly at a space, which RFC 2047 readers then
    drop: "Huyện Bảo Lạc" arrived as "HuyệnBảo Lạc"."""

    def _encoded(self, name: str, value: object) -> str:
        text = str(value)
        folded = Header(text, "utf-8", maxlinelen=self.max_line_length or 78, header_name=name)
        return f"{name}: {folded.encode(linesep=self.linesep)}{self.linesep}"

    def _wants_encoding(self, name: str, value: object) -> bool:
        return name.lower() == "subject" and not str(value).isascii() and not self.utf8

    def fold(self, name: str, value: str) -> str:
        return self._encoded(name, value) if self._wants_encoding(name, value) else super().fold(name, value)

    def fold_binary(self, name: str, value: str) -> bytes:
        if self._wants_encoding(name, value):
            return self._encoded(name, value).encode("ascii")
        return super().fold_binary(name, value)


POLICY = _Policy(**{k: getattr(default_policy, k) for k in ("max_line_length", "linesep", "header_factory")})


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mime_type: str

    @property
    def maintype(self) -> str:
        return self.mime_type.split("/", 1)[0]

    @property
    def subtype(self) -> str:
        return self.mime_type.split("/", 1)[1]


def text_as_html(text: str) -> str:
    """A plain-text body as its HTML twin (escaped, lines kept)."""
    return (
        '<html><body><pre style="font-family: sans-serif; white-space: pre-wrap">'
        + html.escape(text)
        + "</pre></body></html>"
    )


def subject(vietnamese: str, english: str) -> str:
    """``[GNBV] <Vietnamese> / <English>``: every subject reads the same way."""
    return f"{SUBJECT_PREFIX} {vietnamese} / {english}"


def message(
    *,
    subject: str,
    text: str,
    sender: str,
    to: Sequence[str],
    html_text: str | None = None,
    attachments: Sequence[Attachment] = (),
    headers: Mapping[str, str] | None = None,
) -> EmailMessage:
    """A message: plain text (UTF-8), an HTML twin (``text_as_html`` unless given), attachments."""
    mail = EmailMessage(policy=POLICY)
    mail["Subject"] = subject
    mail["From"] = sender
    mail["To"] = ", ".join(to)
    mail["Date"] = formatdate(localtime=True)
    mail["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    for name, value in (headers or {}).items():
        mail[name] = value
    mail.set_content(text, charset="utf-8")
    mail.add_alternative(html_text if html_text is not None else text_as_html(text), subtype="html", charset="utf-8")
    for item in attachments:
        mail.add_attachment(item.content, maintype=item.maintype, subtype=item.subtype, filename=item.filename)
    return mail


# --------------------------------------------------------------------------- sending


def send(mail: EmailMessage, smtp: SmtpSettings) -> str:
    """Send ``mail`` to the addresses of its To and Cc headers; returns its Message-ID.
    Raises ``smtplib.SMTPException`` / ``OSError`` when the server refuses or cannot be reached."""
    recipients = addresses([mail.get("To", ""), mail.get("Cc", "")])
    if not recipients:
        raise ValueError("không có người nhận / the message has no recipients")
    context = ssl.create_default_context()
    client: smtplib.SMTP
    if smtp.use_ssl:
        client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout, context=context)
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
    with client:
        if smtp.starttls and not smtp.use_ssl:
            client.starttls(context=context)
        if smtp.username:
            client.login(smtp.username, smtp.password or "")
        client.send_message(mail, from_addr=smtp.sender, to_addrs=recipients)
    return str(mail["Message-ID"])
