"""A local SMTP server that keeps what it is sent: for ``gnbv demo`` and the tests.

A real SMTP server (aiosmtpd) on 127.0.0.1 and a free port, so mail leaves through the very path
it takes in production (``gnbv.mail.send`` over a socket); nothing goes further. Each message is
kept in memory, with its envelope, and, given a folder, written there as ``NNN.eml`` for any mail
program to open.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Any


@dataclass(frozen=True)
class Caught:
    """One message as the server received it."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage
    path: Path | None = None
    raw: bytes = b""  # as it came over the wire

    @property
    def subject(self) -> str:
        return str(self.message["Subject"] or "")

    def text(self) -> str:
        body = self.message.get_body(("plain",))
        return body.get_content() if body is not None else ""

    def attachments(self) -> dict[str, bytes]:
        return {str(part.get_filename()): part.get_content() for part in self.message.iter_attachments()}


@dataclass
class _Handler:
    folder: Path | None
    caught: list[Caught] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's hook)
        raw = bytes(envelope.original_content or envelope.content)
        message = message_from_bytes(raw, policy=policy.default)
        with self.lock:
            path = None
            if self.folder is not None:
                path = self.folder / f"{len(self.caught) + 1:03d}.eml"
                path.write_bytes(raw)
            assert isinstance(message, EmailMessage)
            self.caught.append(Caught(str(envelope.mail_from), tuple(envelope.rcpt_tos), message, path, raw))
        return "250 Message accepted for delivery"


def _free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


class MailSink:
    """``with MailSink(folder) as sink:`` — an SMTP server on ``sink.url`` until the block ends."""

    def __init__(self, folder: Path | None = None, host: str = "127.0.0.1", sender: str = "gnbv-demo@localhost"):
        self.host, self.sender = host, sender
        self.port = 0
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)
            for old in folder.glob("*.eml"):
                old.unlink()
        self._handler = _Handler(folder)
        self._controller: Any = None

    @property
    def url(self) -> str:
        """``GNBV_SMTP_URL`` for this server."""
        return f"smtp://{self.host}:{self.port}?from_email={self.sender}"

    @property
    def caught(self) -> list[Caught]:
        with self._handler.lock:
            return list(self._handler.caught)

    def __iter__(self) -> Iterator[Caught]:
        return iter(self.caught)

    def start(self) -> MailSink:
        from aiosmtpd.controller import Controller

        self.port = _free_port(self.host)
        self._controller = Controller(self._handler, hostname=self.host, port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> MailSink:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()
