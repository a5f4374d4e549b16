"""Deadline notices: reminders before the district deadline, the reporting status after it."""

from __future__ import annotations

from airflow.sdk import AssetOrTimeSchedule, CronTriggerTimetable, Param, dag, task

from gnbv.orchestration import DEADLINE_DAG_ID
from gnbv.orchestration.airflow_support import (
    CONSOLIDATION,
    START_DATE,
    TIMEZONE,
    default_args,
    label_map_index,
    manual_run_params,
    params_of,
    run_moment,
    triggering_pairs,
)

DOC = """
### Deadline notices (nhắc hạn và tình hình nộp báo cáo)

- **Before the district deadline** (every morning at 08:00 Vietnam time, on the last three days
  before the deadline and on the day itself): a reminder to each unit with no accepted report yet,
  at its own contacts (`ref_unit_contacts`) — its report has not arrived, or the file it sent was
  rejected and these are the errors to fix — and an overview naming them for the province.
- **After the deadline**: when the consolidation DAG has built a month (asset
  `gnbv://warehouse/marts/consolidation`), the reporting status of that month — reporting rate,
  on-time rate, late units (days late) and missing units — from `marts.mart_reporting_compliance`.
  A late report accepted later re-consolidates the month, and an updated status follows.

Deadlines come from the reference calendars; texts are Vietnamese with English. Recipients: each
unit's contacts, and for the province the Airflow variable `gnbv_notify_to` or `$GNBV_NOTIFY_TO`;
mail goes through the connection `smtp_default` (`$GNBV_SMTP_URL` locally). A message with no
recipient is only written to the task log. Trigger by hand with `kind` (reminder | summary), `province` and `period`.

**Triage.** `compose_and_send` failing with *compliance mart has no rows*: the consolidation of
that month has not run (see `gnbv_consolidation`). An SMTP error: check the `smtp_default`
connection, then clear the task — notices are composed afresh from the warehouse.
"""


@dag(
    dag_id=DEADLINE_DAG_ID,
    schedule=AssetOrTimeSchedule(timetable=CronTriggerTimetable("0 8 * * *", timezone=TIMEZONE), assets=CONSOLIDATION),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    params=manual_run_params(kind=Param("", type="string", description="reminder or summary (manual runs)")),
    tags=["gnbv", "deadline"],
    doc_md=DOC,
)
def gnbv_deadline() -> None:
    @task
    def plan_notices(**context) -> list[dict[str, str]]:
        from airflow.sdk.exceptions import AirflowSkipException

        from gnbv.orchestration.deadline import plan

        notices = plan(
            run_moment=run_moment(context), params=params_of(context), consolidated=triggering_pairs(context)
        )
        if not notices:
            raise AirflowSkipException("no reminder or status due today")
        return notices

    @task(map_index_template="{{ gnbv_label }}")
    def compose_and_send(notice: dict[str, str], **context) -> dict:
        from gnbv.orchestration.deadline import send

        label_map_index(f"{notice['kind']} {notice['province']} {notice['period']}")
        return send(notice, as_of=run_moment(context))

    compose_and_send.expand(notice=plan_notices())


gnbv_deadline()
