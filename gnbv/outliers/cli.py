"""``gnbv outliers list|review``: the month's outlier flags, and marking one reviewed.

Only click at module level (tests/test_cli_imports.py)."""

from __future__ import annotations

import getpass

import click

from gnbv.cli_params import reporting_month
from gnbv.vn_format import vn_number


@click.group("outliers")
def outliers_group() -> None:
    """Số liệu bất thường cần rà soát (không phải lỗi, không bị từ chối).

    Outlier flags to review, never rejections: marts.fct_outlier_flag, built by `gnbv build`
    (modified z-score against the unit's own past and across units; docs/bi.md, dbt_project/README.md).
    """


@outliers_group.command("list")
@click.option("--period", help="Kỳ báo cáo YYYY-MM / reporting month.")
@click.option("--province", help="Mã tỉnh, ví dụ 04 / province code.")
@click.option("--unit", help="Mã đơn vị / unit code.")
@click.option("--open", "open_only", is_flag=True, help="Chỉ các cờ chưa rà soát / only flags not reviewed.")
def list_command(period: str | None, province: str | None, unit: str | None, open_only: bool) -> None:
    """Liệt kê các cờ bất thường và tình trạng rà soát.

    Lists the flags with their review status (a review shows at once; the mart carries it from
    the next build).
    """
    from gnbv import db
    from gnbv.outliers.reviews import MEASURE_VI, METHOD_VI, OutlierError, list_flags

    with db.connect() as conn:
        try:
            found = list_flags(conn, reporting_month(period) if period is not None else None, province, unit, open_only)
        except OutlierError as err:
            raise click.ClickException(str(err)) from None
    if not found:
        click.echo("Không có cờ bất thường. / No outlier flags.")
        return
    for f in found:
        value = f"{vn_number(f.value, 0)} đồng" if f.measure == "disbursed_in_month" else f"{f.value} %"
        status = (
            f"đã rà soát {f.reviewed_at:%d/%m/%Y} ({f.reviewed_by}): {f.review_comment}"
            if f.is_reviewed
            else "chưa rà soát"
        )
        click.echo(
            f"{f.flag_id}  {f.period_month:%m/%Y}  {f.unit_name or ''} ({f.unit_code})  {f.component_code}"
            f" × {f.funding_source_code} vốn {f.capital_year}  {MEASURE_VI.get(f.measure, f.measure)} {value}"
            f"  điểm {f.score} ({METHOD_VI.get(f.method, f.method)}, ngưỡng {f.threshold})  {status}"
        )


@outliers_group.command("review")
@click.argument("flag_id")
@click.option("--comment", required=True, help="Nhận xét rà soát / what the review found.")
@click.option("--by", "reviewed_by", help="Người rà soát (mặc định: tài khoản máy) / reviewer (default: OS user).")
def review_command(flag_id: str, comment: str, reviewed_by: str | None) -> None:
    """Đánh dấu một cờ là đã rà soát, kèm nhận xét.

    Marks FLAG_ID reviewed with a comment, for the version of the figures it flags (a new
    version from the unit opens it again). Reviews are appended, never changed.
    """
    from gnbv import db
    from gnbv.outliers.reviews import OutlierError, review_flag

    with db.connect() as conn:
        try:
            flag = review_flag(conn, flag_id, comment, reviewed_by or getpass.getuser())
        except OutlierError as err:
            raise click.ClickException(str(err)) from None
    click.echo(
        f"Đã rà soát / reviewed: {flag.flag_id} {flag.unit_name or ''} ({flag.unit_code}) {flag.period_month:%m/%Y}"
    )
