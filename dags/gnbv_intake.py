"""District intake: the inbox → intake and the Great Expectations gate → archive or quarantine."""

from __future__ import annotations

from typing import Any

from airflow.sdk import CronTriggerTimetable, dag, task

from gnbv.orchestration import INTAKE_DAG_ID
from gnbv.orchestration.airflow_support import (
    RAW_SUBMISSIONS,
    START_DATE,
    TIMEZONE,
    default_args,
    label_map_index,
    mapped_results,
    run_moment,
)

DOC = """
### District intake (tiếp nhận báo cáo của các huyện)

Every 30 minutes (Vietnam time) this takes whatever districts dropped in the inbox —
`inbox/<province>/<YYYY-MM>/` (`$GNBV_INBOX`: a local folder by default, S3 by configuration) —
for the reporting months still open:

1. **claim_new_files** moves each file that had arrived by the run's time into
   `inbox/.claimed/` (so no other run takes it), one reporting month per province at a time;
2. **take_in** (one mapped task per batch of up to 150 files of one province and month, named
   after them) takes the files as `gnbv ingest` does (`ingest.intake.ingest_paths`: reader
   processes, one Great Expectations gate call and one load transaction per batch, each file
   wholly or not at all, at its own receipt time), then moves each to `archive/`
   (accepted) or `quarantine/` (rejected) with the note for the sender beside it
   (`<file>.bao-cao-kiem-tra.txt`, Vietnamese and English); the folder's `<YYYY-MM>` is the month
   the file is sent for (the workbook's sheet of that month is read; a file stating only other
   months is rejected). Files after the 12th are taken and
   flagged late;
   **tell_sender** (one mapped task per file, named after it, over **each_file**'s list of
   the files' outcomes) e-mails the verdict to the sending unit's contacts
   (`ref_unit_contacts`): accepted (what was read per budget level, on time or late), rejected
   (the note, and the sender's workbook with every faulty cell marked — also kept in
   `quarantine/` as `<file>.danh-dau-loi.xlsx`) or an unchanged resend. A file that names no
   known unit goes to the province's own contacts, to forward. Mail goes through `smtp_default`
   (`$GNBV_SMTP_URL` locally); a mail server that fails makes only this task retry;
3. **announce_landed** marks the asset `gnbv://warehouse/raw_submissions` updated when a file
   was accepted — here or through the submission portal since the last run (`gnbv portal`) —
   and the consolidation DAG re-consolidates a month whose deadline has passed;
4. **intake_summary** prints one line per file, and fails the run if a file could not be taken.

`received_at` is the file's modification time in the inbox (S3: its upload time): copy files
in plainly, never with `cp -p` / `rsync -t`.

**Triage.** A *rejected* file is not a failure: read its note in `quarantine/`. A failed
`tell_sender` is the mail server: check `smtp_default`, then clear the task (the verdict is read
again from the warehouse and sent). A failed `take_in` means the warehouse or the storage was
unreachable: check `gnbv warehouse status`, then clear the task — its files wait in
`inbox/.claimed/` and are offered again by the next run after 30 minutes. `gnbv ingest <file>
--notify` takes the same steps by hand.
"""


@dag(
    dag_id=INTAKE_DAG_ID,
    schedule=CronTriggerTimetable("*/30 * * * *", timezone=TIMEZONE),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    tags=["gnbv", "intake"],
    doc_md=DOC,
)
def gnbv_intake() -> None:
    @task
    def claim_new_files(**context) -> list[list[dict[str, str]]]:
        from gnbv.orchestration.intake import claim_new_files, in_batches

        return in_batches(claim_new_files(run_moment(context)))

    @task(map_index_template="{{ gnbv_label }}", max_active_tis_per_dagrun=2)
    def take_in(batch: list[dict[str, str]], **context) -> list[dict]:
        from gnbv.orchestration.intake import take_in_batch

        label_map_index(f"{batch[0]['province']}/{batch[0]['period']}: {len(batch)} file(s)")
        return take_in_batch(batch)

    @task(trigger_rule="all_done")
    def each_file(batches) -> list[dict]:
        # a batch whose task failed has no outcomes: the files of the others are still told
        return [outcome for batch in mapped_results(batches) if batch for outcome in batch]

    @task(map_index_template="{{ gnbv_label }}")
    def tell_sender(outcome: dict, **context) -> dict:
        from gnbv.orchestration.verdicts import tell_sender

        label_map_index(f"{outcome['province']}/{outcome['folder_period']}/{outcome['name']}")
        return tell_sender(outcome)

    @task(outlets=[RAW_SUBMISSIONS], trigger_rule="all_done")
    def announce_landed(outcomes: list[dict], **context) -> list[list[str]]:
        from airflow.sdk.exceptions import AirflowSkipException

        from gnbv.orchestration.intake import landed, with_portal_uploads

        pairs = with_portal_uploads(landed(outcomes or []))
        if not pairs:
            raise AirflowSkipException("no file accepted: nothing to announce")
        context["outlet_events"][RAW_SUBMISSIONS].extra = {"pairs": pairs}
        return pairs

    @task
    def intake_summary(outcomes: list[dict]) -> None:
        from gnbv.orchestration.intake import summary_lines

        for line in summary_lines(outcomes or []):
            print(line)

    batches = take_in.expand(batch=claim_new_files())
    # the tasks' results are references (XComArg) until run time: typed as what they carry
    outcomes: Any = each_file(batches)
    tell_sender.expand(outcome=outcomes)
    announce_landed(outcomes)
    # after every batch too: a batch that could not be taken fails the run here
    batches >> intake_summary(outcomes)


gnbv_intake()
