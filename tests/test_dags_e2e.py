"""End to end: Cao Bằng's March 2024 run by the three DAGs for real (``dag.test()``: every task,
the real DAG files) against PostgreSQL, with a real SMTP server.

The month (SYNTHETIC files; arrival = the file's modification time in the inbox):
- on time (10/03): 040, 042, 045, 047, 049;
- rejected (10/03): 043 — a negative amount, so 043 stays *missing*;
- late (14/03, two days after the deadline of the 12th): 048;
- missing: 051, 052, 053.

Runs, at the times the schedules would start them: intake 11/03 09:00 → reminder 11/03 →
consolidation 13/03 06:00 (report v1) → status notice → intake 14/03 12:00 (the late file,
announced as an asset event) → re-consolidation (report v2) → the same re-consolidation and
intake again, which must change nothing.

The runs happen in a process of their own (``tests/test_dags_e2e_driver.py`` says why); this
module prepares the files, runs the SMTP server and checks what came out.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import psycopg
import pytest

from gnbv.orchestration import CONSOLIDATION_DAG_ID, DEADLINE_DAG_ID, INTAKE_DAG_ID, RAW_SUBMISSIONS_URI, airflow_env
from tests.test_dags_e2e_driver import RESULT_PREFIX
from tests.test_dags_fixtures import Mailbox, airflow_home, mailbox  # noqa: F401  (fixtures)

# its own xdist group (for when --dist loadgroup groups again): the long cycle on one worker
pytestmark = pytest.mark.xdist_group(name="airflow_e2e")

ROOT = Path(__file__).resolve().parent.parent
VN = ZoneInfo("Asia/Ho_Chi_Minh")
MARCH = dt.date(2024, 3, 1)
ON_TIME = ("040", "042", "045", "047", "049")
REJECTED, LATE = "043", "048"
MISSING = ("051", "052", "053")
NOTIFY_TO = "sldtbxh@caobang.example.org"
REPORT_TO = "ubnd@caobang.example.org"
MONTH = {"province": "04", "period": "2024-03"}
STEPS: list[dict[str, Any]] = [
    {"do": "run", "key": "intake_11", "dag_id": INTAKE_DAG_ID, "at": "2024-03-11T09:00:00+07:00"},
    {"do": "run", "key": "reminder_11", "dag_id": DEADLINE_DAG_ID, "at": "2024-03-11T10:00:00+07:00"},
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
    {
        "do": "run",
        "key": "consolidation_14",
        "dag_id": CONSOLIDATION_DAG_ID,
        "at": "2024-03-14T12:30:00+07:00",
        "conf": MONTH,
    },
    {"do": "snapshot", "name": "14"},
    {
        "do": "run",
        "key": "consolidation_14_again",
        "dag_id": CONSOLIDATION_DAG_ID,
        "at": "2024-03-14T12:30:00+07:00",
        "conf": MONTH,
    },
    {"do": "run", "key": "intake_14_again", "dag_id": INTAKE_DAG_ID, "at": "2024-03-14T13:00:00+07:00"},
    {"do": "snapshot", "name": "again"},
]


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=VN)


@dataclass
class Cycle:
    root: Path
    results: dict[str, Any] = field(default_factory=dict)
    truth: dict[str, Decimal] = field(default_factory=dict)
    late_file: Path | None = None
    gx_dir: Path | None = None
    mail: list[EmailMessage] = field(default_factory=list)

    def run(self, key: str) -> dict[str, Any]:
        return self.results["runs"][key]

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
    mailbox: Mailbox,  # noqa: F811
    tmp_path_factory: pytest.TempPathFactory,
) -> Cycle:
    import ingest.gate
    from ingest.samples import generate_bad_samples, generate_sample_month

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
    drop(bad.path, f"bao_cao_{REJECTED}_2024-03.xlsx", at("2024-03-10T09:30"))
    state.late_file = drop(samples[LATE].path, samples[LATE].path.name, at("2024-03-14T10:00"))
    for unit in (*ON_TIME, LATE):
        state.truth[unit] = sum((a.disbursed_cumulative_vnd or Decimal(0) for a in samples[unit].amounts), Decimal(0))

    plan = root / "plan.json"
    plan.write_text(
        json.dumps(
            {
                "gx_dir": str(state.gx_dir),
                "warehouse": warehouse,
                "reports": str(root / "reports"),
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
        "AIRFLOW_CONN_SMTP_DEFAULT": airflow_env.smtp_connection(mailbox.url),
    }
    out = subprocess.run(
        [sys.executable, "-m", "tests.test_dags_e2e_driver", str(plan)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    log = root / "driver.log"
    log.write_text(out.stdout + "\n----- stderr\n" + out.stderr, encoding="utf-8")
    timings = [line for line in out.stderr.splitlines() if line.split(" ")[0] in {s.get("key") for s in STEPS}]
    print(f"\n(the runs' whole output: {log})\n" + "\n".join(timings))
    lines = [line for line in out.stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    assert out.returncode == 0 and lines, out.stdout[-3000:] + out.stderr[-5000:]
    state.results = json.loads(lines[-1][len(RESULT_PREFIX) :])
    state.mail = list(mailbox.messages)
    return state


def _text(mail: EmailMessage) -> str:
    return mail.get_body(("plain",)).get_content()


def _mails(cycle: Cycle, subject: str = "", to: str = "") -> list[EmailMessage]:
    return [m for m in cycle.mail if subject in m["Subject"] and to in m["To"]]


# --------------------------------------------------------------------------- the checks


def check_intake_takes_what_arrived_and_quarantines_the_rejected_file(cycle: Cycle) -> None:
    run = cycle.run("intake_11")
    assert run["state"] == "success", run["tasks"]
    assert sorted(k for k in run["tasks"] if k.startswith("take_in[")) == [f"take_in[{i}]" for i in range(6)]
    archived = [p.name for p in cycle.archive.iterdir()]
    assert sum(n.startswith("20240310-090000_") for n in archived) == len(ON_TIME)
    quarantined = sorted(p.name for p in cycle.quarantine.iterdir())
    assert quarantined == [
        f"20240310-093000_bao_cao_{REJECTED}_2024-03.xlsx",
        f"20240310-093000_bao_cao_{REJECTED}_2024-03.xlsx.bao-cao-kiem-tra.txt",
    ]
    note = (cycle.quarantine / quarantined[1]).read_text(encoding="utf-8")
    assert "BÁO CÁO BỊ TỪ CHỐI" in note and "negative_amount" in note and "Nothing from this file was loaded" in note
    assert cycle.gx_dir is not None and (cycle.gx_dir / "gx" / "uncommitted" / "data_docs").exists()


def check_the_reminder_names_who_has_no_accepted_report(cycle: Cycle) -> None:
    assert cycle.run("reminder_11")["state"] == "success"
    (mail,) = _mails(cycle, subject="Nhắc nộp báo cáo tháng 03/2024")
    assert mail["To"] == NOTIFY_TO
    text = _text(mail)
    assert "đã tiếp nhận 5/10 đơn vị" in text
    waiting = text.split("Các đơn vị chưa có báo cáo được tiếp nhận:")[1].split("---")[0]
    assert f"{REJECTED} " in waiting and "bị từ chối" in waiting
    for unit in (LATE, *MISSING):
        assert f"  - {unit} " in waiting
    for unit in ON_TIME:
        assert f"  - {unit} " not in waiting


def check_the_consolidation_after_the_deadline(cycle: Cycle) -> None:
    run = cycle.run("consolidation_13")
    assert run["state"] == "success", {k: v for k, v in run["tasks"].items() if v != "success"}
    models = [k for k in run["tasks"] if k.startswith("dbt.")]
    assert len(models) > 30 and all(run["tasks"][k] == "success" for k in models)
    for task_id in ("tests_across_models", "month.validate[0]", "month.monthly_report[0]", "month.email_report[0]"):
        assert run["tasks"][task_id] == "success", task_id
    status = {row[0]: row[1] for row in cycle.snapshot("13")["compliance"]}
    assert status == {**dict.fromkeys(ON_TIME, "on_time"), **dict.fromkeys((REJECTED, LATE, *MISSING), "missing")}
    assert len(cycle.snapshot("13")["reports"]) == 1
    agencies = {name.split("/")[1] for name in cycle.snapshot("13")["agency_reports"]}
    assert agencies == {"SLDTBXH", "SNNPTNT", "STTTT", "SXD", "SYT"}  # Cao Bằng's lead agencies


def check_the_consolidation_is_the_sum_of_what_the_units_sent(cycle: Cycle) -> None:
    lines = cycle.snapshot("13")["consolidation"]
    assert lines and all(int(units) <= len(ON_TIME) for *_rest, units in lines)
    assert sum(Decimal(row[4] or 0) for row in lines) == sum(cycle.truth[u] for u in ON_TIME)
    lines = cycle.snapshot("14")["consolidation"]
    assert sum(Decimal(row[4] or 0) for row in lines) == sum(cycle.truth[u] for u in (*ON_TIME, LATE))


def check_the_status_notice_gives_rates_and_names(cycle: Cycle) -> None:
    assert cycle.run("status_13")["state"] == "success"
    (status,) = _mails(cycle, subject="Tình hình nộp báo cáo tháng 03/2024")
    text = _text(status)
    assert "Tỷ lệ báo cáo:   50,0 % (5/10)" in text and "Tỷ lệ đúng hạn:  50,0 % (5/10)" in text
    assert "Reporting rate: 50,0 % (5/10)" in text
    missing = text.split("Chưa nộp (hoặc chưa có báo cáo hợp lệ):")[1].split("Báo cáo tổng hợp")[0]
    assert all(f"  - {u} " in missing for u in (REJECTED, LATE, *MISSING))


def check_the_late_file_is_taken_flagged_and_announced(cycle: Cycle) -> None:
    run = cycle.run("intake_14")
    assert run["state"] == "success" and run["tasks"]["take_in[0]"] == "success"
    assert run["tasks"]["announce_landed"] == "success"
    assert cycle.late_file is not None and not cycle.late_file.exists()
    assert (cycle.archive / f"20240314-100000_{cycle.late_file.name}").exists()
    events = cycle.results["asset_events"]["14"]
    assert events == [{"pairs": [["04", "2024-03"]]}] * 2  # the run of the 11th and this one
    assert cycle.results["queued"]["14"] == 1  # the scheduler would start the re-consolidation


def check_the_reconsolidation_counts_it_late_and_makes_a_new_report_version(cycle: Cycle) -> None:
    run = cycle.run("consolidation_14")
    assert run["state"] == "success", {k: v for k, v in run["tasks"].items() if v != "success"}
    rows = {row[0]: row for row in cycle.snapshot("14")["compliance"]}
    assert rows[LATE][1] == "late" and rows[LATE][3] == 2
    assert dt.datetime.fromisoformat(rows[LATE][2]) == at("2024-03-14T10:00")
    assert {u for u, r in rows.items() if r[1] == "on_time"} == set(ON_TIME)
    assert {u for u, r in rows.items() if r[1] == "missing"} == {REJECTED, *MISSING}
    before, after = cycle.snapshot("13")["reports"], cycle.snapshot("14")["reports"]
    assert len(after) == 2 and set(before) < set(after)
    sent = _mails(cycle, to=REPORT_TO)
    assert len(sent) == 2  # version 1 on the 13th, version 2 now; never the same version twice
    assert all(any(part.get_filename() for part in m.iter_attachments()) for m in sent)


def check_running_the_month_again_changes_nothing(cycle: Cycle) -> None:
    assert cycle.run("consolidation_14_again")["state"] == "success"
    assert cycle.snapshot("again") == cycle.snapshot("14")
    again = cycle.run("intake_14_again")
    assert again["state"] == "success" and again["tasks"]["announce_landed"] == "skipped"


def test_a_month_through_the_three_dags(cycle: Cycle) -> None:
    """One test, not one per check: pytest-xdist must not split the expensive cycle across
    workers, and ``--dist loadgroup`` does not group with pytest 9 (xdist 3.8 sets ``_nodeid``,
    which pytest 9 no longer reads)."""
    check_intake_takes_what_arrived_and_quarantines_the_rejected_file(cycle)
    check_the_reminder_names_who_has_no_accepted_report(cycle)
    check_the_consolidation_after_the_deadline(cycle)
    check_the_consolidation_is_the_sum_of_what_the_units_sent(cycle)
    check_the_status_notice_gives_rates_and_names(cycle)
    check_the_late_file_is_taken_flagged_and_announced(cycle)
    check_the_reconsolidation_counts_it_late_and_makes_a_new_report_version(cycle)
    check_running_the_month_again_changes_nothing(cycle)
