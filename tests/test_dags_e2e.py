"""End to end: Cao Bằng's March 2024 as its people live it, run by the three DAGs for real
(``dag.test()``: every task, the real DAG files) against PostgreSQL, with a real SMTP server.

The month (SYNTHETIC files; arrival = the file's modification time in the inbox):
- on time (10/03): 040, 042, 045, 047, 049;
- huyện Bảo Lạc (043) sends a file with a negative amount (10/03): rejected; its officers get
  the note and their workbook with the faulty cell marked, the reminder of 11/03 repeats what to
  fix, and the corrected file (11/03 16:00) is accepted, on time;
- late (14/03, two days after the deadline of the 12th): 048;
- missing: 051, 052, 053;
- after the final report of the 15th, 045 sends a correction (18/03): a revision, e-mailed with
  what moved.

Runs, at the times the schedules would start them: intake 11/03 09:00 → reminders 11/03 →
intake 11/03 16:30 → consolidation 13/03 06:00 (report v1, provisional) → status notice →
intake 14/03 12:00 (the late file, announced as an asset event) → consolidation 15/03 06:00
(v2, **final**, every dbt test over every month) → intake 18/03 → the re-consolidation a late
file triggers (v3, **revision**) → the same re-consolidation again, and every file of the month
sent again saved anew (other bytes, the same figures: what a second ``gnbv demo`` sends), which
must change nothing in the warehouse or the report archive.

The runs happen in a process of their own (``tests/test_dags_e2e_driver.py`` says why), which
also runs the SMTP server and notes which run sent which message; this module prepares the
files and checks what came out.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import openpyxl
import psycopg
import pytest

from gnbv.orchestration import CONSOLIDATION_DAG_ID, DEADLINE_DAG_ID, INTAKE_DAG_ID, RAW_SUBMISSIONS_URI, airflow_env
from tests.test_dags_e2e_driver import RESULT_PREFIX
from tests.test_dags_fixtures import airflow_home  # noqa: F401  (fixture)

# its own xdist group (for when --dist loadgroup groups again): the long cycle on one worker
pytestmark = pytest.mark.xdist_group(name="airflow_e2e")

ROOT = Path(__file__).resolve().parent.parent
VN = ZoneInfo("Asia/Ho_Chi_Minh")
MARCH = dt.date(2024, 3, 1)
ON_TIME = ("040", "042", "045", "047", "049")
REJECTED, LATE, CORRECTED = "043", "048", "045"
MISSING = ("051", "052", "053")
CONTACTS = {
    "040": "tp-cao-bang.sample@example.invalid",
    "042": "bao-lam.sample@example.invalid",
    "043": "bao-lac.sample@example.invalid, bao-lac.van-phong.sample@example.invalid",
    "045": "ha-quang.sample@example.invalid",
    "047": "trung-khanh.sample@example.invalid",
    "048": "ha-lang.sample@example.invalid",
    "049": "quang-hoa.sample@example.invalid",
    "051": "hoa-an.sample@example.invalid",
    "052": "nguyen-binh.sample@example.invalid",
    "053": "thach-an.sample@example.invalid",
}
REJECTED_NAME = f"bao_cao_{REJECTED}_2024-03.xlsx"
NOTIFY_TO = "sldtbxh@caobang.example.org"
REPORT_TO = "ubnd@caobang.example.org"
MONTH = {"province": "04", "period": "2024-03"}
STEPS: list[dict[str, Any]] = [
    {"do": "run", "key": "intake_11", "dag_id": INTAKE_DAG_ID, "at": "2024-03-11T09:00:00+07:00"},
    {"do": "run", "key": "reminder_11", "dag_id": DEADLINE_DAG_ID, "at": "2024-03-11T10:00:00+07:00"},
    {"do": "run", "key": "intake_11_resend", "dag_id": INTAKE_DAG_ID, "at": "2024-03-11T16:30:00+07:00"},
    {"do": "run", "key": "consolidation_13", "dag_id": CONSOLIDATION_DAG_ID, "at": "2024-03-13T06:00:00+07:00"},
    {"do": "snapshot", "name": "13"},
    {
        "do": "run",
        "key": "status_13",
        "dag_id": DEADLINE_DAG_ID,
        "at": "2024-03-13T08:00:00+07:00",
        "conf": {"kind": "summary", **MONTH},
    },
    # unpaused, so that the asset event of the late file queues a consolidation run
    {"do": "unpause", "dag_id": CONSOLIDATION_DAG_ID},
    {"do": "run", "key": "intake_14", "dag_id": INTAKE_DAG_ID, "at": "2024-03-14T12:00:00+07:00"},
    {"do": "asset_events", "name": "14", "uri": RAW_SUBMISSIONS_URI, "dag_id": CONSOLIDATION_DAG_ID},
    # (the re-consolidation that asset event queues is the run of the 18th's kind: not run twice here)
    {"do": "run", "key": "consolidation_15", "dag_id": CONSOLIDATION_DAG_ID, "at": "2024-03-15T06:00:00+07:00"},
    {"do": "xcom", "name": "test_scope_15", "run": "consolidation_15", "task_id": "plan", "key": "test_scope"},
    {"do": "xcom", "name": "test_scope_13", "run": "consolidation_13", "task_id": "plan", "key": "test_scope"},
    {"do": "snapshot", "name": "15"},
    {"do": "run", "key": "intake_18", "dag_id": INTAKE_DAG_ID, "at": "2024-03-18T09:00:00+07:00"},
    {
        "do": "run",
        "key": "consolidation_18",
        "dag_id": CONSOLIDATION_DAG_ID,
        "at": "2024-03-18T09:30:00+07:00",
        "conf": MONTH,
    },
    {"do": "snapshot", "name": "18"},
    {
        "do": "run",
        "key": "consolidation_18_again",
        "dag_id": CONSOLIDATION_DAG_ID,
        "at": "2024-03-18T09:30:00+07:00",
        "conf": MONTH,
    },
    {"do": "run", "key": "intake_18_again", "dag_id": INTAKE_DAG_ID, "at": "2024-03-18T13:00:00+07:00"},
    {"do": "snapshot", "name": "again"},
]


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=VN)


def vnd(value: Decimal) -> str:
    return f"{int(value):,}".replace(",", ".")


@dataclass
class Cycle:
    root: Path
    results: dict[str, Any] = field(default_factory=dict)
    truth: dict[str, Decimal] = field(default_factory=dict)  # unit → cumulative disbursement sent
    corrected_truth: Decimal = Decimal(0)  # 045's cumulative disbursement in its correction
    late_file: Path | None = None
    gx_dir: Path | None = None

    def run(self, key: str) -> dict[str, Any]:
        return self.results["runs"][key]

    def mail(self, key: str) -> list[EmailMessage]:
        """The messages the run ``key`` sent, in order."""
        return [
            message_from_bytes(Path(path).read_bytes(), policy=policy.default)  # type: ignore[misc]
            for path in self.results["mail"][key]
        ]

    def state_of(self, key: str, task_id: str) -> str | None:
        return self.run(key)["tasks"].get(task_id)

    def snapshot(self, name: str) -> dict[str, Any]:
        return self.results["snapshots"][name]

    @property
    def archive(self) -> Path:
        return self.root / "archive" / "04" / "2024-03"

    @property
    def quarantine(self) -> Path:
        return self.root / "quarantine" / "04" / "2024-03"


@pytest.fixture(scope="module")
def warehouse(database_url: str) -> Iterator[str]:
    """A database of its own (dbt's incremental facts must not see other tests' rows)."""
    name = f"gnbv_airflow_{os.getpid()}"
    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute(f'drop database if exists "{name}" with (force)')
        admin.execute(f'create database "{name}"')
    yield urlunsplit(urlsplit(database_url)._replace(path="/" + name))
    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute(f'drop database if exists "{name}" with (force)')


@pytest.fixture(scope="module")
def cycle(
    airflow_home: Path,  # noqa: F811
    warehouse: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Cycle:
    import ingest.gate
    from gnbv.dev.samples.province import generate_bad_samples, generate_sample_month

    root = tmp_path_factory.mktemp("cycle")
    state = Cycle(root)
    # Great Expectations files of the test's own: its results and Data Docs stay out of the
    # repository's expectations/gx/uncommitted (whose growing history slows every validation).
    state.gx_dir = root / "expectations"
    shutil.copytree(ingest.gate.EXPECTATIONS_DIR, state.gx_dir, ignore=shutil.ignore_patterns("uncommitted"))
    config_vars = ingest.gate.EXPECTATIONS_DIR / "gx" / "uncommitted" / "config_variables.yml"
    if config_vars.exists():
        (state.gx_dir / "gx" / "uncommitted").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(config_vars, state.gx_dir / "gx" / "uncommitted" / "config_variables.yml")

    samples = {
        f.unit_code: f for f in generate_sample_month("04", MARCH, root / "samples", variations=False, fmt="xlsx")
    }
    (correction,) = [  # other figures for the same unit and month: what a late correction sends
        f
        for f in generate_sample_month("04", MARCH, root / "corrections", seed=1, variations=False, fmt="xlsx")
        if f.unit_code == CORRECTED
    ]
    (bad,) = [b for b in generate_bad_samples(root / "bad", MARCH) if b.expected_check == "negative_amount"]
    folder = root / "inbox" / "04" / "2024-03"
    folder.mkdir(parents=True)

    def drop(source: Path, name: str, when: dt.datetime) -> Path:
        target = folder / name
        shutil.copyfile(source, target)
        os.utime(target, (when.timestamp(), when.timestamp()))
        return target

    for unit in ON_TIME:
        drop(samples[unit].path, samples[unit].path.name, at("2024-03-10T09:00"))
    drop(bad.path, REJECTED_NAME, at("2024-03-10T09:30"))
    drop(samples[REJECTED].path, f"bao_cao_{REJECTED}_2024-03_da-sua.xlsx", at("2024-03-11T16:00"))
    state.late_file = drop(samples[LATE].path, samples[LATE].path.name, at("2024-03-14T10:00"))
    drop(correction.path, f"bao_cao_{CORRECTED}_2024-03_dieu-chinh.xlsx", at("2024-03-18T08:00"))
    # The month sent again, as a second `gnbv demo` sends it: every version in force and the
    # rejected file, saved again (other bytes, the same figures), for the intake run of 18/03 13:00.
    in_force = [samples[u].path for u in (*ON_TIME, REJECTED, LATE) if u != CORRECTED] + [correction.path]
    for source in [*in_force, bad.path]:
        resaved = root / "resaved" / f"{source.stem}_gui-lai.xlsx"
        saved_again(source, resaved)
        drop(resaved, resaved.name, at("2024-03-18T12:00"))
    for unit in (*ON_TIME, REJECTED, LATE):
        state.truth[unit] = sum((a.disbursed_cumulative_vnd or Decimal(0) for a in samples[unit].amounts), Decimal(0))
    state.corrected_truth = sum((a.disbursed_cumulative_vnd or Decimal(0) for a in correction.amounts), Decimal(0))

    plan = root / "plan.json"
    plan.write_text(
        json.dumps(
            {
                "gx_dir": str(state.gx_dir),
                "warehouse": warehouse,
                "reports": str(root / "reports"),
                "mail_dir": str(root / "mail"),
                "province": "04",
                "period": MARCH.isoformat(),
                "steps": STEPS,
            }
        ),
        encoding="utf-8",
    )
    env = {
        **os.environ,
        "GNBV_DATABASE_URL": warehouse,
        "AIRFLOW_CONN_GNBV_WAREHOUSE": airflow_env.warehouse_connection(warehouse),
        "GNBV_INBOX": str(root / "inbox"),
        "GNBV_REPORTS": str(root / "reports"),
        "GNBV_NOTIFY_TO": NOTIFY_TO,
        "GNBV_REPORT_RECIPIENTS": REPORT_TO,
    }
    out = subprocess.run(
        [sys.executable, "-m", "tests.test_dags_e2e_driver", str(plan)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=2400,
        check=False,
    )
    log = root / "driver.log"
    log.write_text(out.stdout + "\n----- stderr\n" + out.stderr, encoding="utf-8")
    timings = [line for line in out.stderr.splitlines() if line.split(" ")[0] in {s.get("key") for s in STEPS}]
    print(f"\n(the runs' whole output: {log})\n" + "\n".join(timings))
    lines = [line for line in out.stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    assert out.returncode == 0 and lines, out.stdout[-3000:] + out.stderr[-5000:]
    state.results = json.loads(lines[-1][len(RESULT_PREFIX) :])
    return state


def saved_again(source: Path, target: Path) -> None:
    """``source`` as a workbook opened and saved again without a change: the same parts, zipped
    anew with other times and compression — other bytes, the same content."""
    import zipfile

    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as new:
        for info in old.infolist():
            new.writestr(zipfile.ZipInfo(info.filename, date_time=(2024, 3, 18, 11, 59, 0)), old.read(info))
    assert target.read_bytes() != source.read_bytes()


def _text(mail: EmailMessage) -> str:
    return mail.get_body(("plain",)).get_content()


def _to(cycle: Cycle, key: str, to: str) -> EmailMessage:
    """The one message of run ``key`` addressed to ``to``."""
    (found,) = [m for m in cycle.mail(key) if m["To"] == to]
    return found


def _attachments(mail: EmailMessage) -> dict[str, bytes]:
    return {str(part.get_filename()): part.get_content() for part in mail.iter_attachments()}


def _consolidated(cycle: Cycle, snapshot: str) -> Decimal:
    return sum((Decimal(row[4] or 0) for row in cycle.snapshot(snapshot)["consolidation"]), Decimal(0))


# --------------------------------------------------------------------------- the checks


def check_intake_takes_what_arrived_and_tells_each_sender(cycle: Cycle) -> None:
    run = cycle.run("intake_11")
    assert run["state"] == "success", run["tasks"]
    # the six files of one province-month in one batch, each told its verdict in a task of its own
    assert sorted(k for k in run["tasks"] if k.startswith("take_in[")) == ["take_in[0]"]
    assert sorted(k for k in run["tasks"] if k.startswith("tell_sender[")) == [f"tell_sender[{i}]" for i in range(6)]
    archived = [p.name for p in cycle.archive.iterdir()]
    assert sum(n.startswith("20240310-090000_") for n in archived) == len(ON_TIME)
    quarantined = sorted(p.name for p in cycle.quarantine.iterdir() if p.name.startswith("20240310"))
    assert quarantined == [
        f"20240310-093000_{REJECTED_NAME}",
        f"20240310-093000_{REJECTED_NAME}.bao-cao-kiem-tra.txt",
        f"20240310-093000_{REJECTED_NAME}.danh-dau-loi.xlsx",  # what its sender was sent
    ]
    note = (cycle.quarantine / quarantined[1]).read_text(encoding="utf-8")
    assert "BÁO CÁO BỊ TỪ CHỐI" in note and "negative_amount" in note and "Nothing from this file was loaded" in note
    assert cycle.gx_dir is not None and (cycle.gx_dir / "gx" / "uncommitted" / "data_docs").exists()
    # one verdict to each sender, at its own contacts
    sent = cycle.mail("intake_11")
    assert sorted(m["To"] for m in sent) == sorted(CONTACTS[u] for u in (*ON_TIME, REJECTED))
    for unit in ON_TIME:
        accepted = _to(cycle, "intake_11", CONTACTS[unit])
        assert accepted["Subject"].startswith("[GNBV] Đã tiếp nhận báo cáo tháng 03/2024")
        assert "đúng hạn (hạn hết ngày 12/03/2024)" in _text(accepted)
        assert f"{vnd(cycle.truth[unit])}" in _text(accepted).split("Tổng cộng")[1].splitlines()[0]


def check_the_rejected_unit_gets_its_note_and_its_workbook_marked(cycle: Cycle) -> None:
    rejected = _to(cycle, "intake_11", CONTACTS[REJECTED])
    assert rejected["Subject"].startswith(f"[GNBV] Báo cáo bị từ chối, cần sửa và gửi lại — {REJECTED_NAME}")
    text = _text(rejected)
    assert text.startswith("Kính gửi UBND huyện Bảo Lạc,") and "[negative_amount]" in text
    assert text.index("Cách sửa") < text.index("To fix") < text.index("— English —")
    (name, workbook) = next(iter(_attachments(rejected).items()))
    assert name == f"bao_cao_{REJECTED}_2024-03.danh-dau-loi.xlsx"
    marked = openpyxl.load_workbook(io.BytesIO(workbook))
    listing = marked.worksheets[0]
    sheet, cell = listing["C6"].value, listing["D6"].value
    assert listing["E6"].value == "negative_amount" and marked[sheet][cell].comment is not None
    assert "negative_amount" in marked[sheet][cell].comment.text
    assert marked[sheet][cell].fill.start_color.rgb.endswith("FFC7CE")


def check_the_reminder_tells_each_waiting_unit_what_is_missing_or_what_to_fix(cycle: Cycle) -> None:
    assert cycle.run("reminder_11")["state"] == "success"
    sent = cycle.mail("reminder_11")
    assert sorted(m["To"] for m in sent) == sorted([NOTIFY_TO, *(CONTACTS[u] for u in (REJECTED, LATE, *MISSING))])
    to_fix = _text(_to(cycle, "reminder_11", CONTACTS[REJECTED]))
    assert f"{REJECTED_NAME} (nhận lúc 10/03/2024 09:30), đã bị từ chối. Các lỗi cần sửa:" in to_fix
    assert "[negative_amount]" in to_fix
    for unit in (LATE, *MISSING):
        assert "chưa nhận được báo cáo tháng 03/2024" in _text(_to(cycle, "reminder_11", CONTACTS[unit]))
    overview = _text(_to(cycle, "reminder_11", NOTIFY_TO))
    assert "đã tiếp nhận 5/10 đơn vị" in overview
    waiting = overview.split("Các đơn vị chưa có báo cáo được tiếp nhận:")[1].split("---")[0]
    assert f"{REJECTED} " in waiting and "bị từ chối" in waiting
    for unit in (LATE, *MISSING):
        assert f"  - {unit} " in waiting
    for unit in ON_TIME:
        assert f"  - {unit} " not in waiting


def check_the_corrected_file_is_accepted_on_time(cycle: Cycle) -> None:
    assert cycle.run("intake_11_resend")["state"] == "success"
    (accepted,) = cycle.mail("intake_11_resend")
    assert accepted["To"] == CONTACTS[REJECTED] and "Đã tiếp nhận" in accepted["Subject"]
    assert "11/03/2024 16:00 (giờ Việt Nam): đúng hạn (hạn hết ngày 12/03/2024)" in _text(accepted)


def check_the_consolidation_after_the_deadline(cycle: Cycle) -> None:
    run = cycle.run("consolidation_13")
    assert run["state"] == "success", {k: v for k, v in run["tasks"].items() if v != "success"}
    models = [k for k in run["tasks"] if k.startswith("dbt.")]
    assert len(models) > 30 and all(run["tasks"][k] == "success" for k in models)
    for task_id in ("tests_across_models", "month.validate[0]", "month.monthly_report[0]", "month.email_report[0]"):
        assert run["tasks"][task_id] == "success", task_id
    status = {row[0]: row[1] for row in cycle.snapshot("13")["compliance"]}
    assert status == {**dict.fromkeys((*ON_TIME, REJECTED), "on_time"), **dict.fromkeys((LATE, *MISSING), "missing")}
    (report,) = cycle.snapshot("13")["reports"]
    assert report.startswith("v1_provisional_")
    assert cycle.results["xcoms"]["test_scope_13"] == "last_load"  # this build tests the months it touched
    (mail,) = cycle.mail("consolidation_13")
    assert mail["To"] == REPORT_TO and "(v1, tạm thời)" in mail["Subject"]
    agencies = {name.split("/")[1] for name in cycle.snapshot("13")["agency_reports"]}
    assert agencies == {"SLDTBXH", "SNNPTNT", "STTTT", "SXD", "SYT"}  # Cao Bằng's lead agencies


def check_the_consolidation_is_the_sum_of_what_the_units_sent(cycle: Cycle) -> None:
    lines = cycle.snapshot("13")["consolidation"]
    assert lines and all(int(units) <= len(ON_TIME) + 1 for *_rest, units in lines)
    assert _consolidated(cycle, "13") == sum(cycle.truth[u] for u in (*ON_TIME, REJECTED))
    assert _consolidated(cycle, "15") == sum(cycle.truth[u] for u in (*ON_TIME, REJECTED, LATE))
    corrected = sum(cycle.truth[u] for u in (*ON_TIME, REJECTED, LATE)) - cycle.truth[CORRECTED]
    assert _consolidated(cycle, "18") == corrected + cycle.corrected_truth


def check_the_status_notice_gives_rates_and_names(cycle: Cycle) -> None:
    assert cycle.run("status_13")["state"] == "success"
    (status,) = cycle.mail("status_13")
    assert status["To"] == NOTIFY_TO and "Tình hình nộp báo cáo tháng 03/2024" in status["Subject"]
    text = _text(status)
    assert "Tỷ lệ báo cáo:   60,0 % (6/10)" in text and "Tỷ lệ đúng hạn:  60,0 % (6/10)" in text
    assert "Reporting rate: 60,0 % (6/10)" in text
    missing = text.split("Chưa nộp (hoặc chưa có báo cáo hợp lệ):")[1].split("Báo cáo tổng hợp")[0]
    assert all(f"  - {u} " in missing for u in (LATE, *MISSING)) and f"  - {REJECTED} " not in missing


def check_the_late_file_is_taken_flagged_and_announced(cycle: Cycle) -> None:
    run = cycle.run("intake_14")
    assert run["state"] == "success" and run["tasks"]["take_in[0]"] == "success"
    assert run["tasks"]["announce_landed"] == "success"
    assert cycle.late_file is not None and not cycle.late_file.exists()
    assert (cycle.archive / f"20240314-100000_{cycle.late_file.name}").exists()
    events = cycle.results["asset_events"]["14"]
    assert events == [{"pairs": [["04", "2024-03"]]}] * 3  # the runs of the 11th (two) and this one
    assert cycle.results["queued"]["14"] == 1  # the scheduler would start the re-consolidation
    (late,) = cycle.mail("intake_14")
    assert late["To"] == CONTACTS[LATE] and "NỘP MUỘN 2 ngày (hạn hết ngày 12/03/2024)" in _text(late)


def check_the_final_report_goes_out_on_the_province_deadline_with_every_test(cycle: Cycle) -> None:
    run = cycle.run("consolidation_15")  # the schedule's run of the 15th: no parameters, no asset event
    assert run["state"] == "success", {k: v for k, v in run["tasks"].items() if v != "success"}
    assert cycle.results["xcoms"]["test_scope_15"] == "all"  # every dbt test over every month
    rows = {row[0]: row for row in cycle.snapshot("15")["compliance"]}
    assert rows[LATE][1] == "late" and rows[LATE][3] == 2
    assert dt.datetime.fromisoformat(rows[LATE][2]) == at("2024-03-14T10:00")
    assert {u for u, r in rows.items() if r[1] == "on_time"} == {*ON_TIME, REJECTED}
    assert {u for u, r in rows.items() if r[1] == "missing"} == set(MISSING)
    before, after = cycle.snapshot("13")["reports"], cycle.snapshot("15")["reports"]
    assert len(after) == 2 and set(before) < set(after) and after[1].startswith("v2_final_")
    (mail,) = cycle.mail("consolidation_15")
    assert mail["To"] == REPORT_TO and "(v2, chính thức)" in mail["Subject"] and "(v2, final)" in mail["Subject"]
    assert {part.get_filename() for part in mail.iter_attachments()} == {
        "BaoCao_GNBV_04_2024-03_v2_final.xlsx",
        "BaoCao_GNBV_04_2024-03_v2_final.pdf",
    }
    assert f"Thay đổi so với {before[0]}" in _text(mail)  # the late unit came in since the provisional one
    assert f"  - {LATE} Huyện Hạ Lang: tình trạng chưa nộp → muộn" in _text(mail)


def check_a_late_correction_makes_a_revision_that_says_what_moved(cycle: Cycle) -> None:
    assert cycle.run("intake_18")["state"] == "success"
    (accepted,) = cycle.mail("intake_18")
    assert accepted["To"] == CONTACTS[CORRECTED]
    assert "bản điều chỉnh; báo cáo đầu tiên của tháng nhận lúc 10/03/2024 09:00 (đúng hạn)" in _text(accepted)
    run = cycle.run("consolidation_18")
    assert run["state"] == "success", {k: v for k, v in run["tasks"].items() if v != "success"}
    reports = cycle.snapshot("18")["reports"]
    assert len(reports) == 3 and reports[2].startswith("v3_revision_")
    status = {row[0]: row[1] for row in cycle.snapshot("18")["compliance"]}
    assert status[CORRECTED] == "on_time"  # a correction never makes a report late
    (mail,) = cycle.mail("consolidation_18")
    assert mail["To"] == REPORT_TO and "(v3, điều chỉnh)" in mail["Subject"]
    text = _text(mail)
    assert f"Thay đổi so với {reports[1]} (đồng):" in text and f"What changed since {reports[1]} (VND):" in text
    (unit_line,) = [line for line in text.splitlines() if line.startswith(f"  - {CORRECTED} Huyện Hà Quảng:")][:1]
    moved = f"lũy kế giải ngân {vnd(cycle.truth[CORRECTED])} → {vnd(cycle.corrected_truth)}"
    assert moved in unit_line, unit_line
    assert "Các dòng tổng hợp thay đổi:" in text
    before, after = _consolidated(cycle, "15"), _consolidated(cycle, "18")
    assert f"lũy kế giải ngân {vnd(before)} → {vnd(after)}" in text.split("Toàn tỉnh:")[1]


def check_running_the_month_again_changes_nothing(cycle: Cycle) -> None:
    """The re-consolidation run again, and every file of the month sent again saved anew (what a
    second `gnbv demo` does): the warehouse (raw submissions, compliance, consolidation) and the
    report archive are as they were; each sender is told its file is unchanged (the rejected one:
    rejected again, for the same reasons), and no report goes out."""
    assert cycle.run("consolidation_18_again")["state"] == "success"
    assert cycle.snapshot("again") == cycle.snapshot("18")
    again = cycle.run("intake_18_again")
    assert again["state"] == "success" and again["tasks"]["announce_landed"] == "skipped"
    assert cycle.mail("consolidation_18_again") == []
    subjects = [str(m["Subject"]) for m in cycle.mail("intake_18_again")]
    resent = len(ON_TIME) + 3  # the on-time units, 043's corrected file, the late file, the rejected file
    assert len(subjects) == resent, subjects
    assert sum("Unchanged resend" in s for s in subjects) == resent - 1, subjects
    assert sum("Report rejected" in s for s in subjects) == 1, subjects


def test_a_month_through_the_three_dags(cycle: Cycle) -> None:
    """One test, not one per check: pytest-xdist must not split the expensive cycle across
    workers, and ``--dist loadgroup`` does not group with pytest 9 (xdist 3.8 sets ``_nodeid``,
    which pytest 9 no longer reads)."""
    check_intake_takes_what_arrived_and_tells_each_sender(cycle)
    check_the_rejected_unit_gets_its_note_and_its_workbook_marked(cycle)
    check_the_reminder_tells_each_waiting_unit_what_is_missing_or_what_to_fix(cycle)
    check_the_corrected_file_is_accepted_on_time(cycle)
    check_the_consolidation_after_the_deadline(cycle)
    check_the_consolidation_is_the_sum_of_what_the_units_sent(cycle)
    check_the_status_notice_gives_rates_and_names(cycle)
    check_the_late_file_is_taken_flagged_and_announced(cycle)
    check_the_final_report_goes_out_on_the_province_deadline_with_every_test(cycle)
    check_a_late_correction_makes_a_revision_that_says_what_moved(cycle)
    check_running_the_month_again_changes_nothing(cycle)
