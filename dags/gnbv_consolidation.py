"""Province consolidation: dbt build (one task per model), the consolidation gate, the report."""

from __future__ import annotations

from typing import Any

from airflow.sdk import AssetOrTimeSchedule, CronTriggerTimetable, dag, task, task_group

from gnbv.orchestration import CONSOLIDATION_DAG_ID
from gnbv.orchestration.airflow_support import (
    CONSOLIDATION,
    RAW_SUBMISSIONS,
    START_DATE,
    TIMEZONE,
    default_args,
    label_map_index,
    manual_run_params,
    params_of,
    run_moment,
    triggering_pairs,
)
from gnbv.orchestration.consolidate import manifest_path

DOC = """
### Province consolidation (tổng hợp báo cáo cấp tỉnh)

Runs every morning at 06:00 Vietnam time and consolidates the province-months whose district
deadline was the day before — Cao Bằng's month *M* on the 13th: a *provisional* report — and
those whose province deadline is today — the 15th: the **final** report, built with every dbt
test over every month (`test_scope: all`; other runs test the months they touched). Deadlines
come from the reference calendars (`ref_reporting_calendars.csv`), so a province joins the cycle
by a data change. It also runs when the intake DAG announces accepted files (asset
`gnbv://warehouse/raw_submissions`): a late file re-consolidates its month, whose deadline has
passed, and a new report version is written — after the final, a **revision**, whose e-mail says
which units, lines and figures moved. Trigger it by hand with `province` and `period` to
consolidate one month again.

1. **plan** — which province-months (skips everything when none is due);
2. **prepare_dbt** — reference seeds reloaded if they changed; dbt manifest refreshed;
3. **dbt** — one task per model, grouped by layer (`dbt build --select <model>` through
   `gnbv.dbt`: the model, its data tests and unit tests), then **tests_across_models**
   (relationships and reconciliations over several models), all into the shadow schema
   `marts_next` (the last layer, `reports`, the views the gate and the report read: built
   after the marts they select from); **publish_marts** then publishes the marts and those
   views in one transaction (readers never
   see a build half done: a red task leaves the previous marts); the dbt var `as_of_date` is
   the run's date, so re-runs and backfills give the same marts;
4. **validate** — the Great Expectations consolidation suite per province-month, on
   `marts.rpt_consolidation_gate`; a failure stops the report (`gnbv.consolidation_gate`);
5. **announce_consolidated** — asset `gnbv://warehouse/marts/consolidation`: the deadline DAG
   mails the reporting status of these months;
6. **monthly_report** — `gnbv.report.build_monthly_report`: workbook, HTML and PDF into the
   report archive `reports/<province>/<YYYY-MM>/<version>/` (`$GNBV_REPORTS`, shared with
   `gnbv report`); the same data gives the same version, a late file a new one;
   **email_report** mails a *new* version to `$GNBV_REPORT_RECIPIENTS` through `smtp_default`
   (nothing is sent twice).

**Triage.** A red model task: open its log for the failing model or test (the same as
`gnbv build --select <model>`); fix the data or the model, then clear the task. A red
`validate`: the consolidation disagrees with its units or the plan — its log names the lines, and
the Data Docs show the whole validation. Nothing is published until it passes.
"""


@dag(
    dag_id=CONSOLIDATION_DAG_ID,
    schedule=AssetOrTimeSchedule(
        timetable=CronTriggerTimetable("0 6 * * *", timezone=TIMEZONE), assets=RAW_SUBMISSIONS
    ),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    # dbt tasks of one layer could all start at once: each is a whole dbt process on the one
    # warehouse, and a small server is better served by a few at a time
    max_active_tasks=4,
    default_args=default_args(),
    params=manual_run_params(),
    tags=["gnbv", "consolidation"],
    doc_md=DOC,
)
def gnbv_consolidation() -> None:
    @task
    def plan(**context) -> list[list[str]]:
        from airflow.sdk.exceptions import AirflowSkipException

        from gnbv.orchestration.consolidate import plan

        chosen = plan(run_moment=run_moment(context), params=params_of(context), landed=triggering_pairs(context))
        if not chosen.pairs:
            raise AirflowSkipException(f"nothing to consolidate on {chosen.as_of} ({chosen.reason})")
        out = chosen.to_xcom()
        print(f"consolidating {out['pairs']} as of {out['as_of']} ({out['reason']})")
        # handed to the tasks after as arguments (``chosen["as_of"]`` below); the pairs are the
        # return value, as Airflow maps only over that
        for key in ("as_of", "reason", "test_scope"):
            context["ti"].xcom_push(key=key, value=out[key])
        return out["pairs"]

    @task(multiple_outputs=True)
    def prepare_dbt(as_of: str, test_scope: str) -> dict:
        import datetime as dt

        from gnbv.orchestration.consolidate import prepare_dbt

        return prepare_dbt(as_of=dt.date.fromisoformat(as_of), test_scope=test_scope)

    @task(map_index_template="{{ gnbv_label }}")
    def validate(pair: list[str], **context) -> dict:
        from airflow.sdk.exceptions import AirflowFailException

        from gnbv.orchestration.calendar import parse_period
        from gnbv.orchestration.consolidate import ConsolidationRejected, validate

        label_map_index(" ".join(pair))
        try:
            verdict = validate(pair[0], parse_period(pair[1]))
        except ConsolidationRejected as rejected:
            raise AirflowFailException(f"consolidation gate failed:\n{rejected}") from None
        return verdict

    @task(map_index_template="{{ gnbv_label }}")
    def monthly_report(pair: list[str], **context) -> dict:
        from gnbv.orchestration.calendar import parse_period
        from gnbv.orchestration.consolidate import build_report

        label_map_index(" ".join(pair))
        return build_report(pair[0], parse_period(pair[1]), now=run_moment(context))

    @task(map_index_template="{{ gnbv_label }}")
    def email_report(report: dict, **context) -> bool:
        from gnbv.orchestration.consolidate import publish_report

        label_map_index(f"{report['province']} {report['period']}")
        return publish_report(report, now=run_moment(context))

    @task_group(group_id="month")
    def month(pair: list[str]):
        verdict = validate(pair)
        report: Any = monthly_report(pair)
        verdict >> report
        email_report(report)
        return verdict

    # every month done, passed or not; none when the plan found nothing to consolidate (it is
    # skipped with its months, and its reason, an argument here, was never handed over)
    @task(outlets=[CONSOLIDATION], trigger_rule="all_done_min_one_success")
    def announce_consolidated(verdicts, reason: str, **context) -> list[list[str]]:
        from airflow.sdk.exceptions import AirflowSkipException

        if isinstance(verdicts, dict):  # a single mapped instance comes back as its value
            verdicts = [verdicts]
        passed = sorted({(v["province"], v["period"]) for v in verdicts or [] if v})
        if not passed:
            raise AirflowSkipException("no province-month passed the consolidation gate")
        pairs = [list(p) for p in passed]
        context["outlet_events"][CONSOLIDATION].extra = {"pairs": pairs, "reason": reason}
        return pairs

    @task
    def tests_across_models(as_of: str, test_scope: str) -> None:
        import datetime as dt

        from airflow.sdk.exceptions import AirflowFailException

        from gnbv.orchestration.consolidate import run_cross_model_tests

        if not run_cross_model_tests(as_of=dt.date.fromisoformat(as_of), test_scope=test_scope):
            raise AirflowFailException("a test across models failed (see the lines above)")

    @task
    def dbt_build(as_of: str, test_scope: str) -> None:
        import datetime as dt

        from airflow.sdk.exceptions import AirflowFailException

        from gnbv.orchestration.consolidate import build_all, manifest_path

        print(f"no dbt manifest at {manifest_path()}: the whole build in one task (`gnbv airflow init` writes one)")
        if not build_all(as_of=dt.date.fromisoformat(as_of), test_scope=test_scope):
            raise AirflowFailException("dbt build failed (see the lines above)")

    # the tasks' results are references (XComArg) until run time: typed as what they carry
    chosen: Any = plan()
    as_of, test_scope = chosen["as_of"], chosen["test_scope"]
    prepared: Any = prepare_dbt(as_of, test_scope)
    manifest = manifest_path()
    if manifest.exists():  # one task per model, then the tests across models
        from gnbv.orchestration.dbt_tasks import model_tasks, publish_marts

        models = model_tasks(manifest, as_of=as_of, test_scope=test_scope, seeded=prepared["seeded"])
        built = prepared >> models >> tests_across_models(as_of, test_scope) >> publish_marts()
    else:
        built = prepared >> dbt_build(as_of, test_scope)
    months = month.expand(pair=chosen)
    built >> months
    announce_consolidated(months, chosen["reason"])


gnbv_consolidation()
