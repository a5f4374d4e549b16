"""The project's one way to e-mail (gnbv.mail): where the SMTP server comes from, what a message
looks like, and that it arrives through a real SMTP server on localhost (aiosmtpd)."""

from __future__ import annotations

import io
import json
from email import message_from_bytes, policy
from email.generator import BytesGenerator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gnbv import mail
from gnbv.mail_sink import MailSink


def test_a_plain_url_is_plain_unless_it_says_otherwise() -> None:
    s = mail.SmtpSettings.from_url("smtp://user:p%40ss@mail.example.org:2525?from_email=a@b.vn&starttls=true")
    assert (s.host, s.port, s.username, s.password, s.sender, s.starttls, s.use_ssl) == (
        "mail.example.org",
        2525,
        "user",
        "p@ss",
        "a@b.vn",
        True,
        False,
    )
    assert mail.SmtpSettings.from_url("smtps://mail.example.org").port == 465
    plain = mail.SmtpSettings.from_url("smtp://localhost:2525")
    assert (plain.use_ssl, plain.starttls, plain.sender) == (False, False, mail.DEFAULT_SENDER)
    with pytest.raises(ValueError, match="smtp://"):
        mail.SmtpSettings.from_url("http://mail.example.org")


def test_an_airflow_connection_means_what_airflow_makes_of_it() -> None:
    uri = mail.SmtpSettings.from_env(
        {"AIRFLOW_CONN_SMTP_DEFAULT": "smtp://user%40x:p%40ss@mail.example:587?from_email=a%40b.vn&disable_ssl=true"}
    )
    assert uri is not None
    assert (uri.host, uri.port, uri.username, uri.password) == ("mail.example", 587, "user@x", "p@ss")
    assert (uri.use_ssl, uri.starttls, uri.sender) == (False, True, "a@b.vn")
    ssl_default = mail.SmtpSettings.from_env({"AIRFLOW_CONN_SMTP_DEFAULT": '{"conn_type": "smtp", "host": "h"}'})
    assert ssl_default is not None and ssl_default.use_ssl and ssl_default.port == 465


def test_the_airflow_connection_wins_over_the_plain_url_and_nothing_configured_says_so() -> None:
    both = {"AIRFLOW_CONN_SMTP_DEFAULT": '{"host": "airflow.example", "port": 25}', "GNBV_SMTP_URL": "smtp://x:1"}
    resolved = mail.SmtpSettings.resolve(both)
    assert resolved.host == "airflow.example"
    assert mail.SmtpSettings.resolve({"GNBV_SMTP_URL": "smtp://plain.example:2525"}).port == 2525
    with pytest.raises(mail.SmtpNotConfigured, match="GNBV_SMTP_URL"):
        mail.SmtpSettings.resolve({})


def test_a_url_becomes_the_airflow_connection_it_stands_for() -> None:
    for url in ("smtp://u:pw@mail.example:2525?from_email=gnbv@x.vn", "smtps://mail.example", "smtp://h?starttls=1"):
        settings = mail.SmtpSettings.from_url(url)
        again = mail.SmtpSettings.from_airflow_env(settings.to_airflow_connection())
        assert again == settings, url
    assert json.loads(mail.SmtpSettings.from_url("smtp://h:25").to_airflow_connection())["conn_type"] == "smtp"


def test_addresses_are_split_on_commas_and_semicolons_once_each() -> None:
    assert mail.addresses(" a@x.vn; b@y.vn ,a@x.vn,, ") == ["a@x.vn", "b@y.vn"]
    assert mail.addresses(["a@x.vn, b@y.vn", "c@z.vn"]) == ["a@x.vn", "b@y.vn", "c@z.vn"]
    assert mail.addresses(None) == []


def test_a_message_arrives_whole_through_a_real_smtp_server(tmp_path: Path) -> None:
    with MailSink(tmp_path / "mail") as sink:
        smtp = mail.SmtpSettings.from_url(sink.url)
        message = mail.message(
            subject=mail.subject("Báo cáo tháng 03/2024 — Huyện Bảo Lạc", "March 2024 report"),
            text="Kính gửi Huyện Bảo Lạc,\nSố liệu: 1.234.567 đồng\n",
            sender=smtp.sender,
            to=["bao-lac.sample@example.invalid", "bao-lac.van-phong.sample@example.invalid"],
            attachments=[mail.Attachment("bảng tính.xlsx", b"PK\x03\x04 bytes", mail.XLSX)],
            headers={"X-GNBV-Verdict": "rejected"},
        )
        message_id = mail.send(message, smtp)
    (caught,) = sink.caught
    assert caught.rcpt_tos == ("bao-lac.sample@example.invalid", "bao-lac.van-phong.sample@example.invalid")
    assert caught.mail_from == "gnbv-demo@localhost"
    assert caught.subject == "[GNBV] Báo cáo tháng 03/2024 — Huyện Bảo Lạc / March 2024 report"
    assert caught.message["Message-ID"] == message_id and caught.message["X-GNBV-Verdict"] == "rejected"
    assert "Số liệu: 1.234.567 đồng" in caught.text()
    assert "<pre" in caught.message.get_body(("html",)).get_content()
    assert caught.attachments() == {"bảng tính.xlsx": b"PK\x03\x04 bytes"}
    assert caught.path == tmp_path / "mail" / "001.eml" and b"X-GNBV-Verdict: rejected" in caught.path.read_bytes()


WORDS = [
    "Báo",
    "cáo",
    "tháng",
    "Huyện",
    "Bảo",
    "Lạc",
    "Hà",
    "Quảng",
    "Trùng",
    "Khánh",
    "bị",
    "từ",
    "chối",
    "—",
    "cần",
    "sửa",
    "gửi",
    "lại",
    "report",
    "03/2024",
    "x.xlsx",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(WORDS), min_size=1, max_size=40), st.lists(st.sampled_from(WORDS), max_size=12))
def test_a_vietnamese_subject_and_file_name_arrive_exactly_as_written(subject: list[str], name: list[str]) -> None:
    """Python's standard folder could drop the space where it split a long subject between two
    encoded words ("HuyệnBảo Lạc"); what smtplib sends must read back word for word."""
    text, file_name = "[GNBV] " + " ".join(subject), " ".join([*name, "bảng.xlsx"])
    message = mail.message(
        subject=text,
        text="x",
        sender="a@x.vn",
        to=["b@y.vn"],
        attachments=[mail.Attachment(file_name, b"x", mail.XLSX)],
    )
    wire = io.BytesIO()
    BytesGenerator(wire, policy=message.policy.clone(linesep="\r\n")).flatten(message)  # as smtplib does
    back = message_from_bytes(wire.getvalue(), policy=policy.default)
    assert back["Subject"] == text
    assert [part.get_filename() for part in back.iter_attachments()] == [file_name]
    assert all(len(line) <= 78 for line in wire.getvalue().split(b"\r\n\r\n")[0].split(b"\r\n"))


def test_a_subject_cannot_smuggle_headers() -> None:
    with pytest.raises(ValueError):
        mail.message(subject="x\r\nBcc: someone@example.org", text="", sender="a@x.vn", to=["b@y.vn"])


def test_a_message_without_recipients_is_refused() -> None:
    message = mail.message(subject="s", text="t", sender="a@x.vn", to=[])
    with pytest.raises(ValueError, match="no recipients"):
        mail.send(message, mail.SmtpSettings("127.0.0.1", 9))
