"""The report's charts: matplotlib's Agg canvas (``FigureCanvasAgg`` on a bare ``Figure``: no pyplot
state, no global backend switch), DejaVu Sans, PNG at 150 dpi.

Each function returns a :class:`Chart` (PNG bytes, a Vietnamese title and a caption). A chart
never invents a figure: a month, unit or year without data is drawn as a gap and said so.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator

from gnbv.report.data import ReportData
from gnbv.report.fmt import ZERO, rate, to_trieu, vn_number, vn_percent
from gnbv.report.tables import Bar, by_project, by_unit
from gnbv.report.unit_terms import unit_terms

DPI = 150
WIDTH_IN = 7.2  # fits the PDF's text width (A4 portrait, 15 mm margins)
# More units than this are drawn one row each (a bar chart's columns would not fit), and the PDF,
# whose charts must fit a page, lists them in a table instead (gnbv.report.document).
MANY_UNITS = 20
BLUE = "#1f5f99"
LIGHT = "#c9d6e3"
ORANGE = "#d9822b"
GREEN = "#2e7d32"
GREY = "#8c8c8c"
RED = "#b71c1c"
STYLE: Any = {  # matplotlib rcParams (typed as Any: mypy wants its Literal keys)
    "font.family": "DejaVu Sans",
    "font.size": 8.5,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.fonttype": "none",
}


@dataclass(frozen=True)
class Chart:
    name: str  # file stem: projects, districts, trend, poverty
    title: str
    caption: str
    png: bytes


def _percent_axis(value: float, _pos: int) -> str:
    return vn_number(Decimal(str(value)), 0) + "%"


def _whole_trieu(vnd: Decimal) -> str:
    """Triệu đồng rounded to the whole for a chart label (the tables keep the exact figure)."""
    return vn_number(to_trieu(vnd), 0)


def _render(fig: Figure) -> bytes:
    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight", pad_inches=0.08)
    return buffer.getvalue()


def _rate_bars(bars: Sequence[Bar], title: str, average_label: str, late: set[str] | None = None) -> Figure:
    """Each bar's rate against its plan, and a dashed line at the rate of all the bars together
    (their disbursement over their plan, not an average of the rates)."""
    late = late or set()
    average = rate(sum((b.disbursed for b in bars), ZERO), sum((b.plan for b in bars), ZERO))
    height = max(2.2, 0.36 * len(bars) + 1.1)
    fig = Figure(figsize=(WIDTH_IN, height), layout="constrained")
    ax = fig.add_subplot()
    labels = [b.label for b in bars]
    rates = [float(b.rate) if b.rate is not None else 0.0 for b in bars]
    colors = [ORANGE if b.key in late else BLUE for b in bars]
    y = list(range(len(bars)))
    with_plan = [i for i, b in enumerate(bars) if b.plan > 0]
    ax.barh(with_plan, [100.0] * len(with_plan), color=LIGHT, height=0.62, label="Kế hoạch (100%)")
    ax.barh(y, rates, color=colors, height=0.62, label="Đã giải ngân lũy kế")
    top = max([100.0, *rates]) * 1.42
    for i, b in enumerate(bars):
        if b.note:
            text, color = b.note, RED
        elif b.rate is None:
            text, color = "không có số liệu kế hoạch", GREY
        else:
            text = f"{vn_percent(b.rate)}  ({_whole_trieu(b.disbursed)} / {_whole_trieu(b.plan)} tr.đ)"
            color = "black"
        x = max(rates[i], 100.0) if i in with_plan else 0.0
        backing = {"facecolor": "white", "edgecolor": "none", "pad": 0.6}  # readable over the average line
        ax.text(x + top * 0.01, i, text, va="center", fontsize=7.5, color=color, bbox=backing, zorder=5)
    if average is not None:
        ax.axvline(float(average), color=GREEN, linestyle="--", linewidth=1.2, label=average_label)
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set_xlim(0, top)
    ax.xaxis.set_major_formatter(FuncFormatter(_percent_axis))
    ax.set_xticks([0, 25, 50, 75, 100])
    ax.set_title(title, loc="left")
    handles, names = ax.get_legend_handles_labels()
    if late:
        from matplotlib.patches import Patch

        handles.append(Patch(color=ORANGE))
        names.append("Báo cáo muộn")
    fig.legend(handles, names, loc="outside lower center", fontsize=7, frameon=False, ncol=len(names))
    ax.grid(axis="x", color="#e0e0e0", linewidth=0.6)
    ax.set_axisbelow(True)
    return fig


def projects_chart(data: ReportData) -> Chart:
    names = {c.project_code: c.name_vi for c in data.components if c.component_code == c.project_code}
    bars = [
        Bar(b.key, textwrap.shorten(f"{b.label}: {names.get(b.key, '')}", 46, placeholder="…"), b.plan, b.disbursed)
        for b in by_project(data)
    ]
    title = f"Tỷ lệ giải ngân theo dự án – lũy kế đến tháng {data.period_month:%m/%Y}"
    with rc_context(STYLE):
        png = _render(_rate_bars(bars, title, "Toàn tỉnh"))
    return Chart(
        "projects",
        "Giải ngân theo dự án",
        "Mọi nguồn vốn và năm vốn; thanh nhạt = kế hoạch vốn (100%), thanh đậm = giải ngân lũy kế; "
        "số trong ngoặc: giải ngân / kế hoạch, triệu đồng.",
        png,
    )


def districts_chart(data: ReportData) -> Chart:
    late = {c.unit_code for c in data.compliance if c.status == "late"}
    bars = by_unit(data)
    title = f"Tỷ lệ giải ngân theo đơn vị – lũy kế đến tháng {data.period_month:%m/%Y}"
    with rc_context(STYLE):
        png = _render(_rate_bars(bars, title, "Bình quân các đơn vị đã báo cáo", late))
    terms = unit_terms(data.districts)
    return Chart(
        "districts",  # the file stem, whatever the units
        f"Giải ngân theo {terms.vi}",
        f"Mọi nguồn vốn và năm vốn của từng {terms.vi}; màu cam: báo cáo muộn; "
        f"{terms.vi} chưa báo cáo không được ước tính.",
        png,
    )


def trend_chart(data: ReportData) -> Chart:
    """Rate of the plan-year capital, month by month, against the same month last year (the
    previous year's own plan-year capital): the comparison the monthly reports make."""
    year = data.plan_year
    months = list(range(1, data.period_month.month + 1))

    def series(y: int) -> dict[int, tuple[Decimal, Decimal]]:
        out = {}
        for t in data.month_totals():
            if t.period_month.year == y and t.capital_year == y and t.period_month.month in months:
                out[t.period_month.month] = (t.disbursed_vnd, t.plan_vnd)
        return out

    this_year, last_year = series(year), series(year - 1)
    peak = max(
        [float(r) for v in (this_year, last_year) for r in (rate(*x) for x in v.values()) if r is not None] or [10.0]
    )
    top = max(peak * 1.25, 20.0)
    with rc_context(STYLE):
        fig = Figure(figsize=(WIDTH_IN, 3.1))
        ax = fig.add_subplot()
        width = 0.38
        for offset, values, color, label in (
            (-width / 2, last_year, LIGHT, f"Năm {year - 1} (vốn năm {year - 1})"),
            (width / 2, this_year, BLUE, f"Năm {year} (vốn năm {year})"),
        ):
            shown = [m for m in months if m in values]
            if not shown:
                continue
            rates = [rate(*values[m]) for m in shown]
            heights = [float(r) if r is not None else 0.0 for r in rates]
            xs = [m + offset for m in shown]
            ax.bar(xs, heights, width=width * 0.95, color=color, label=label)
            for x, h, r, m in zip(xs, heights, rates, shown, strict=True):
                ax.text(
                    x, h + 0.01 * top, vn_percent(r, 1) if r is not None else "–", ha="center", va="bottom", fontsize=7
                )
                ax.text(x, -0.025 * top, _whole_trieu(values[m][0]), ha="center", va="top", fontsize=6.5, color=GREY)
        missing_now = [m for m in months if m not in this_year]
        for m in missing_now:
            ax.text(
                m + width / 2,
                0.02 * top,
                f"không có số liệu\nvốn năm {year}",
                ha="center",
                va="bottom",
                fontsize=6,
                color=RED,
            )
        ax.set_ylim(-0.12 * top, top)
        ax.yaxis.set_major_locator(
            FixedLocator([t for t in MaxNLocator(nbins=6, steps=[1, 2, 5, 10]).tick_values(0, top) if 0 <= t <= top])
        )
        ax.set_xticks(months, [f"T{m}" for m in months])
        ax.set_xlim(0.4, months[-1] + 0.6)
        ax.yaxis.set_major_formatter(FuncFormatter(_percent_axis))
        ax.axhline(0, color="black", linewidth=0.6)
        ax.set_ylabel("Tỷ lệ giải ngân lũy kế / kế hoạch")
        ax.set_title(f"Tiến độ giải ngân vốn năm {year} theo tháng, so với cùng kỳ năm {year - 1}", loc="left")
        if not last_year:
            ax.text(
                0.99,
                0.95,
                f"Không có số liệu cùng kỳ năm {year - 1} trong kho dữ liệu\n(không so sánh được)",
                transform=ax.transAxes,
                ha="right",
                va="top",
                fontsize=7.5,
                color=RED,
            )
        if this_year or last_year:
            ax.legend(loc="upper left", fontsize=7, frameon=False)
        ax.grid(axis="y", color="#e0e0e0", linewidth=0.6)
        ax.set_axisbelow(True)
        fig.tight_layout()
        png = _render(fig)
    caption = (
        f"Vốn kế hoạch năm {year} (không gồm vốn năm trước chuyển sang) so với vốn năm {year - 1} "
        f"cùng tháng năm {year - 1}; số xám dưới cột: giải ngân lũy kế, triệu đồng."
    )
    if not last_year:
        caption += f" Kho dữ liệu không có số liệu cùng kỳ năm {year - 1}."
    return Chart("trend", "Xu hướng theo tháng", caption, png)


# A unit's type shortened on a chart's axis, where its name must fit under a bar.
_SHORT_TYPES = (("Huyện ", ""), ("Thành phố ", "TP "), ("Thị xã ", "TX "), ("Xã ", ""), ("Phường ", "P. "),
                ("Đặc khu ", "ĐK "))  # fmt: skip


def short_unit_name(name: str) -> str:
    """``Huyện Bảo Lạc`` → ``Bảo Lạc``, ``Phường Thục Phán`` → ``P. Thục Phán``."""
    for prefix, short in _SHORT_TYPES:
        if name.startswith(prefix):
            return short + name.removeprefix(prefix)
    return name


def poverty_chart(data: ReportData) -> Chart:
    terms = unit_terms(data.districts)
    names = {u.unit_code: u.unit_name for u in data.units.values()}
    plan = {p.unit_code: p for p in data.poverty if p.source == "plan"}
    actual = {p.unit_code: p for p in data.poverty if p.source == "submission"}
    codes = sorted(set(plan) | set(actual), key=lambda c: (c == data.province.unit_code, c))
    # a province's 56 communes do not fit side by side: one row per unit, as tall as they need
    across = len(codes) > MANY_UNITS
    with rc_context(STYLE):
        fig = Figure(figsize=(WIDTH_IN, max(3.3, 0.3 * len(codes) + 1.3) if across else 3.3))
        ax = fig.add_subplot()
        ax.set_title(f"Tỷ lệ hộ nghèo so với mục tiêu năm {data.plan_year}", loc="left")
        if not codes:
            ax.text(
                0.5,
                0.5,
                "Chưa có số liệu tỷ lệ hộ nghèo hay mục tiêu cho kỳ này",
                transform=ax.transAxes,
                ha="center",
                va="center",
                color=RED,
            )
            ax.set_axis_off()
        else:
            x = list(range(len(codes)))
            series = []
            if plan:
                series.append(
                    ("Đầu năm (theo kế hoạch)", GREY, [plan[c].poverty_rate if c in plan else None for c in codes])
                )
            series.append(
                (
                    f"Thực hiện (báo cáo gần nhất đến T{data.period_month.month})",
                    BLUE,
                    [actual[c].poverty_rate if c in actual else None for c in codes],
                )
            )
            targets = [
                (actual[c].target_rate if c in actual and actual[c].target_rate is not None else None)
                or (plan[c].target_rate if c in plan else None)
                for c in codes
            ]
            series.append(("Mục tiêu cuối năm", GREEN, targets))
            width = 0.8 / len(series)
            top = max([float(v) for _l, _c, vals in series for v in vals if v is not None] or [10.0])
            for k, (label, color, values) in enumerate(series):
                offset = (k - (len(series) - 1) / 2) * width
                xs = [i + offset for i, v in enumerate(values) if v is not None]
                hs = [float(v) for v in values if v is not None]
                if across:
                    ax.barh(xs, hs, height=width * 0.95, color=color, label=label)
                else:
                    ax.bar(xs, hs, width=width * 0.95, color=color, label=label)
                for xi, h in zip(xs, hs, strict=True):
                    text = vn_number(Decimal(str(h)), 1)
                    if across:
                        ax.text(h + 0.01 * top, xi, text, ha="left", va="center", fontsize=5.8)
                    else:
                        ax.text(xi, h + 0.5, text, ha="center", va="bottom", fontsize=5.8, rotation=90)
            if across:
                ax.set_yticks(x, [short_unit_name(names.get(c, c)) for c in codes], fontsize=7)
                ax.set_ylim(len(codes) + 1.2, -0.6)  # top down, with room for the legend below the last unit
                ax.set_xlim(0, top * 1.2 + 1)
                ax.xaxis.set_major_formatter(FuncFormatter(_percent_axis))
                ax.set_xlabel("Tỷ lệ hộ nghèo")
                ax.legend(loc="lower right", fontsize=7, frameon=True, framealpha=0.9)
                ax.grid(axis="x", color="#e0e0e0", linewidth=0.6)
            else:
                labels = [textwrap.fill(short_unit_name(names.get(c, c)), 10) for c in codes]
                ax.set_xticks(x, labels, fontsize=7)
                ax.set_ylim(0, top * 1.25 + 1)
                ax.yaxis.set_major_formatter(FuncFormatter(_percent_axis))
                ax.set_ylabel("Tỷ lệ hộ nghèo")
                ax.legend(loc="upper left", fontsize=7, frameon=False, ncol=len(series))
                ax.grid(axis="y", color="#e0e0e0", linewidth=0.6)
            ax.set_axisbelow(True)
        fig.tight_layout()
        png = _render(fig)
    return Chart(
        "poverty",
        "Tỷ lệ hộ nghèo",
        f"Theo từng {terms.vi}: tỷ lệ hộ nghèo báo cáo gần nhất trong năm (không muộn hơn kỳ báo cáo) và mục tiêu "
        f"cuối năm; tỷ lệ của các {terms.vi} không được cộng gộp thành tỷ lệ toàn tỉnh.",
        png,
    )


def all_charts(data: ReportData) -> list[Chart]:
    return [projects_chart(data), districts_chart(data), trend_chart(data), poverty_chart(data)]
