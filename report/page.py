"""The leadership report as one self-contained HTML page, from frames of the published tables.

Pure: frames in, an HTML string out (no I/O, no network). `orchestration/report.py` reads the published
file and writes the page. Every number shown also sits in an element with `data-metric`, `data-key`
and `data-value` (the unrounded value), so the page can be checked against the tables it came from.
A table missing from the publication gives a section that says so, not an error.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from html import escape

import polars as pl

from report.charts import Band, Series, heatmap, line_chart, stacked_bar_chart

DOCS_LINK = "https://github.com/cs-warehouse/cs-warehouse/blob/main/shared/spec/metrics.md"
AT_RISK_GRADES = ("D", "F")
GRADES = ("A", "B", "C", "D", "F")
STYLE = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px auto;max-width:1000px;color:#222}
h1{margin-bottom:4px}h2{border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:36px}
.banner{background:#b00020;color:#fff;padding:10px 14px;font-weight:bold;font-size:18px;border-radius:4px}
.meta,.definition,.period{color:#555;font-size:13px}
.absent{background:#fff7e0;border:1px solid #e6c200;padding:8px 12px;border-radius:4px}
table{border-collapse:collapse;font-size:13px;margin:8px 0}
th,td{border:1px solid #ddd;padding:3px 7px;text-align:right}th{background:#f2f2f2}
td.text,th.text{text-align:left}
.met{color:#0a7d2c;font-weight:bold}.not-met{color:#b00020;font-weight:bold}.not-reportable{color:#8a6d00}
details{margin:6px 0}summary{cursor:pointer;color:#1f4e99;font-size:13px}
"""


def _value_text(value: object, unit: str) -> str:
    if value is None:
        return "—"
    if isinstance(value, float | int) and not isinstance(value, bool):
        if unit == "fraction":
            return f"{value:.1%}"
        if unit == "money":
            return f"{value:,.2f}"
        if unit == "days":
            return f"{value:.1f} d"
        if unit == "count":
            return f"{value:,.0f}"
        return f"{value:.1f}"
    return str(value)


def _cell(metric: str, key: str, value: object, unit: str, text: str | None = None) -> str:
    """A table cell carrying its unrounded value for checking, showing it rounded for reading."""
    raw = (
        ""
        if value is None
        else repr(float(value))
        if isinstance(value, float | int)
        else str(value)
    )
    shown = text if text is not None else _value_text(value, unit)
    return (
        f'<td data-metric="{escape(metric)}" data-key="{escape(key)}" data-value="{escape(raw)}">'
        f"{escape(shown)}</td>"
    )


def _definitions(registry: pl.DataFrame | None, names: Sequence[str]) -> str:
    if registry is None:
        return '<p class="definition">audit.metric_registry is not in this publication.</p>'
    rows = registry.filter(pl.col("name").is_in(list(names)))
    items = [
        f"<li><code>{escape(r['name'])}</code>: {escape(r['definition'])}</li>"
        for r in rows.sort("name").iter_rows(named=True)
    ]
    missing = sorted(set(names) - set(rows["name"].to_list()))
    items += [f"<li><code>{escape(n)}</code>: no registry entry</li>" for n in missing]
    return f'<ul class="definition">{"".join(items)}</ul>'


def _absent(table: str, what: str) -> str:
    return (
        f'<p class="absent" data-absent="{escape(table)}">{escape(what)}: the table '
        f"<code>{escape(table)}</code> is not in this publication yet, so this section is empty.</p>"
    )


def _month_label(d: dt.date) -> str:
    return d.strftime("%Y-%m")


def _data_table(
    metric_table: str,
    frame: pl.DataFrame,
    key_column: str,
    columns: Sequence[tuple[str, str]],
    caption: str,
    open_: bool = False,
) -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c, _ in columns)
    body = []
    for row in frame.iter_rows(named=True):
        key = row[key_column]
        key_text = key.isoformat() if isinstance(key, dt.date) else str(key)
        cells = "".join(_cell(f"{metric_table}.{c}", key_text, row[c], unit) for c, unit in columns)
        body.append(f'<tr><td class="text">{escape(key_text)}</td>{cells}</tr>')
    return (
        f"<details{' open' if open_ else ''}><summary>{escape(caption)}</summary><table>"
        f'<tr><th class="text">{escape(key_column)}</th>{head}</tr>{"".join(body)}</table></details>'
    )


def _section_scorecard(tables: Mapping[str, pl.DataFrame], registry: pl.DataFrame | None) -> str:
    frame = tables.get("marts.kpi_scorecard")
    html = ["<h2 id='scorecard'>KPI scorecard</h2>"]
    if frame is None:
        return html[0] + _absent("marts.kpi_scorecard", "KPI scorecard")
    order = {"month": 0, "quarter": 1, "trailing_12_months": 2}
    frame = frame.sort(
        pl.col("kpi"), pl.col("period_type").replace_strict(order, default=9, return_dtype=pl.Int8)
    )
    rows = []
    for r in frame.iter_rows(named=True):
        key = f"{r['kpi']}|{r['period_type']}"
        status_class = r["status"].replace(" ", "-")
        interval = (
            f"{_value_text(r['interval_low'], r['unit'])} – {_value_text(r['interval_high'], r['unit'])}"
            if r["interval_low"] is not None
            else f'<span title="{escape(r["interval_method"] or "")}">none (every unit counted)</span>'
            if (r["interval_method"] or "").startswith("none")
            else "—"
        )
        target = f"{escape(r['target_operator'])} {_value_text(r['target_value'], r['unit'])}"
        change = (
            "—"
            if r["change"] is None
            else f"{r['change'] * 100:+.1f} pp"
            if r["unit"] == "fraction"
            else f"{r['change']:+.1f}"
        )
        status = escape(r["status"]) + (
            f"<br><small>{escape(r['status_reason'])}</small>" if r["status_reason"] else ""
        )
        rows.append(
            "<tr>"
            f'<td class="text">{escape(r["label"])}</td>'
            f'<td class="text">{escape(r["period_type"].replace("_", " "))}<br><small>'
            f"{r['period_start']} … {r['period_end']}</small></td>"
            + _cell("kpi_scorecard.value", key, r["value"], r["unit"])
            + f'<td class="text">{target}</td>'
            f'<td class="text {status_class}" data-metric="kpi_scorecard.status" data-key="{escape(key)}" '
            f'data-value="{escape(r["status"])}">{status}</td>'
            + _cell("kpi_scorecard.previous_value", key, r["previous_value"], r["unit"])
            + _cell("kpi_scorecard.change", key, r["change"], r["unit"], text=change)
            + _cell("kpi_scorecard.sample_size", key, r["sample_size"], "count")
            + f'<td class="text">{interval}</td>'
            f'<td class="text"><code>{escape(r["registry_entry"])}</code></td>'
            "</tr>"
        )
    html.append(
        '<table id="kpi-scorecard"><tr><th class="text">KPI</th><th class="text">period</th>'
        '<th>value</th><th class="text">target</th><th class="text">status</th><th>previous</th>'
        '<th>change</th><th>n</th><th class="text">95% interval</th><th class="text">registry entry</th></tr>'
        + "".join(rows)
        + "</table>"
    )
    html.append(_definitions(registry, sorted(set(frame["registry_entry"].to_list()))))
    return "".join(html)


MOVEMENTS = (
    ("new_mrr", "new", "#2ca02c", 1),
    ("reactivation_mrr", "reactivation", "#17becf", 1),
    ("expansion_mrr", "expansion", "#1f77b4", 1),
    ("contraction_mrr", "contraction", "#ff7f0e", -1),
    ("churned_mrr", "churned", "#d62728", -1),
)


def _section_movements(tables: Mapping[str, pl.DataFrame], registry: pl.DataFrame | None) -> str:
    head = "<h2 id='mrr-movements'>MRR movements by month</h2>"
    frame = tables.get("marts.mrr_movements_monthly")
    if frame is None:
        return head + _absent("marts.mrr_movements_monthly", "MRR movements")
    frame = frame.sort("month")
    labels = [_month_label(m) for m in frame["month"]]
    series = [
        Series(label, [None if v is None else sign * float(v) for v in frame[col]], color)
        for col, label, color, sign in MOVEMENTS
    ]
    period = f"{frame['month'].min()} … {frame['month'].max()}" if frame.height else "no month"
    chart = stacked_bar_chart(
        "mrr_movements",
        "MRR movements by calendar month (decreases drawn below zero)",
        labels,
        series,
    )
    table = _data_table(
        "mrr_movements_monthly",
        frame,
        "month",
        [(c, "money") for c in ("mrr_start", *(m[0] for m in MOVEMENTS), "net_new_mrr", "mrr_end")],
        "the numbers",
    )
    names = [f"mrr_movements_monthly.{c}" for c, *_ in MOVEMENTS] + [
        "mrr_movements_monthly.mrr_end"
    ]
    return (
        head
        + f'<p class="period">Period: calendar months {period}; the last month is valued at the as-of '
        "date. Amounts in the reporting currency.</p>"
        + chart
        + table
        + _definitions(registry, names)
    )


def _section_retention(tables: Mapping[str, pl.DataFrame], registry: pl.DataFrame | None) -> str:
    head = "<h2 id='retention'>Net and gross revenue retention</h2>"
    frame = tables.get("marts.revenue_retention_monthly")
    if frame is None:
        return head + _absent("marts.revenue_retention_monthly", "Revenue retention")
    frame = frame.sort("month")
    labels = [_month_label(m) for m in frame["month"]]

    def values(col: str) -> list[float | None]:
        return [None if v is None else float(v) for v in frame[col]]

    chart_12m = line_chart(
        "retention_12m",
        "Trailing-12-month NRR and GRR by month",
        labels,
        [Series("NRR 12m", values("nrr_12m")), Series("GRR 12m", values("grr_12m"))],
        fmt=lambda v: f"{v:.0%}",
    )
    chart_1m = line_chart(
        "retention_1m",
        "Monthly NRR and GRR",
        labels,
        [Series("NRR 1m", values("nrr_1m")), Series("GRR 1m", values("grr_1m"))],
        fmt=lambda v: f"{v:.1%}",
    )
    missing = frame.filter(pl.col("nrr_12m").is_null()).height
    table = _data_table(
        "revenue_retention_monthly",
        frame,
        "month",
        [
            ("nrr_12m", "fraction"),
            ("grr_12m", "fraction"),
            ("nrr_12m_denominator", "money"),
            ("cohort_logos_12m", "count"),
            ("nrr_1m", "fraction"),
            ("grr_1m", "fraction"),
            ("mrr_start", "money"),
        ],
        "the numbers",
    )
    return (
        head
        + f'<p class="period">Period: calendar months {frame["month"].min()} … {frame["month"].max()}. '
        f"The 12-month rates need a month twelve months earlier with paying customers: {missing} "
        "month(s) have none and are left out of the line (not reportable), not drawn as zero.</p>"
        + chart_12m
        + chart_1m
        + table
        + _definitions(
            registry,
            [
                "revenue_retention_monthly.nrr_12m",
                "revenue_retention_monthly.grr_12m",
                "revenue_retention_monthly.nrr_1m",
                "revenue_retention_monthly.grr_1m",
            ],
        )
    )


def _section_cohorts(tables: Mapping[str, pl.DataFrame], registry: pl.DataFrame | None) -> str:
    head = "<h2 id='cohorts'>Revenue cohorts</h2>"
    frame = tables.get("marts.revenue_cohorts")
    if frame is None:
        return head + _absent("marts.revenue_cohorts", "Revenue cohorts")
    cohorts = sorted(frame["cohort_month"].unique().to_list())
    offsets = sorted(frame["months_since_start"].unique().to_list())
    lookup = {
        (r["cohort_month"], r["months_since_start"]): r["revenue_retention"]
        for r in frame.iter_rows(named=True)
    }
    cells = [
        [None if lookup.get((c, k)) is None else float(lookup[(c, k)]) for k in offsets]
        for c in cohorts
    ]
    peak = max((v for row in cells for v in row if v is not None), default=1.0)
    chart = heatmap(
        "revenue_cohorts",
        "Revenue retention by cohort (rows: first paid month; columns: months since)",
        [_month_label(c) for c in cohorts],
        [str(k) for k in offsets],
        cells,
        high=max(peak, 1.0),
    )
    body = []
    for c, row in zip(cohorts, cells, strict=True):
        tds = "".join(
            _cell("revenue_cohorts.revenue_retention", f"{c.isoformat()}|{k}", v, "fraction")
            for k, v in zip(offsets, row, strict=True)
        )
        body.append(f'<tr><td class="text">{c.isoformat()}</td>{tds}</tr>')
    table = (
        "<details><summary>the numbers</summary><table><tr><th class='text'>cohort</th>"
        + "".join(f"<th>{k}</th>" for k in offsets)
        + "</tr>"
        + "".join(body)
        + "</table></details>"
    )
    return (
        head
        + f'<p class="period">Cohorts {cohorts[0] if cohorts else "—"} … {cohorts[-1] if cohorts else "—"}, '
        "each followed to the as-of month.</p>"
        + chart
        + table
        + _definitions(registry, ["revenue_cohorts.revenue_retention"])
    )


def _pick(frame: pl.DataFrame, *names: str) -> str | None:
    return next((n for n in names if n in frame.columns), None)


def _section_nps(tables: Mapping[str, pl.DataFrame], registry: pl.DataFrame | None) -> str:
    head = "<h2 id='nps'>NPS</h2>"
    frame = tables.get("marts.nps_summary")
    if frame is None:
        return head + _absent("marts.nps_summary", "NPS trend")
    if "period_type" in frame.columns:
        frame = frame.filter(pl.col("period_type") == "quarter")
    if "segment" in frame.columns:
        frame = frame.filter(pl.col("segment") == "all")
    period_col = _pick(frame, "period_start", "period")
    low_col = _pick(frame, "nps_ci_low", "ci_low", "interval_low")
    high_col = _pick(frame, "nps_ci_high", "ci_high", "interval_high")
    n_col = _pick(frame, "responses", "n_responses", "n")
    reason_col = _pick(frame, "reason", "nps_reason", "not_reportable_reason")
    if period_col is None or "nps" not in frame.columns:
        return head + (
            '<p class="absent">marts.nps_summary has no nps / period column this report knows; '
            f"its columns are: {escape(', '.join(frame.columns))}.</p>"
        )
    frame = frame.sort(period_col)
    labels = [str(p) for p in frame[period_col]]
    band = (
        Band(
            [None if v is None else float(v) for v in frame[low_col]],
            [None if v is None else float(v) for v in frame[high_col]],
        )
        if low_col and high_col
        else None
    )
    chart = line_chart(
        "nps_trend",
        "NPS by quarter with its 95% interval (n/r: not reportable, too few responses)",
        labels,
        [Series("NPS", [None if v is None else float(v) for v in frame["nps"]])],
        fmt=lambda v: f"{v:.0f}",
        band=band,
        reference=50.0,
        not_reportable=[v is None for v in frame["nps"]],
    )
    columns = [("nps", "score")]
    columns += [(c, "score") for c in (low_col, high_col) if c]
    columns += [(n_col, "count")] if n_col else []
    rows = []
    for r in frame.iter_rows(named=True):
        key = str(r[period_col])
        note = escape(r[reason_col]) if reason_col and r[reason_col] else ""
        if r["nps"] is None:
            note = "not reportable" + (f": {note}" if note else "")
        cells = "".join(_cell(f"nps_summary.{c}", key, r[c], unit) for c, unit in columns)
        rows.append(
            f'<tr><td class="text">{escape(key)}</td>{cells}<td class="text">{note}</td></tr>'
        )
    table = (
        "<table><tr><th class='text'>quarter</th>"
        + "".join(f"<th>{escape(c)}</th>" for c, _ in columns)
        + "<th class='text'>note</th></tr>"
        + "".join(rows)
        + "</table>"
    )
    return (
        head
        + '<p class="period">Quarters, all segments. A quarter with too few responses has no NPS: '
        "it is marked not reportable and left out of the line.</p>"
        + chart
        + table
        + _definitions(registry, ["nps_summary.nps"])
    )


def _section_health(
    tables: Mapping[str, pl.DataFrame], registry: pl.DataFrame | None, as_of: dt.date | None
) -> str:
    head = "<h2 id='health'>Customer health</h2>"
    frame = tables.get("marts.health_scores_daily")
    if frame is None:
        return head + _absent("marts.health_scores_daily", "Health-grade distribution and trend")
    latest = frame["as_of_date"].max()
    month_ends = (
        frame.group_by(pl.col("as_of_date").dt.truncate("1mo").alias("month"))
        .agg(pl.col("as_of_date").max().alias("day"))
        .sort("month")
    )
    days = month_ends["day"].to_list()
    counts = (
        frame.filter(pl.col("as_of_date").is_in(days))
        .group_by("as_of_date", "grade")
        .agg(pl.len().alias("accounts"))
    )
    lookup = {(r["as_of_date"], r["grade"]): r["accounts"] for r in counts.iter_rows(named=True)}
    grade_colors = ("#2ca02c", "#98df8a", "#ffbb33", "#ff7f0e", "#d62728", "#aaaaaa")
    grade_series = [
        Series(grade or "no grade", [float(lookup.get((d, grade), 0)) for d in days], color)
        for grade, color in zip((*GRADES, None), grade_colors, strict=True)
    ]
    chart = stacked_bar_chart(
        "health_grades",
        "Accounts by health grade at each month's last scored day",
        [str(d) for d in days],
        grade_series,
    )
    latest_rows = [
        f'<tr><td class="text">{grade or "no grade"}</td>'
        + _cell(
            "health_scores_daily.grade_count",
            f"{latest}|{grade}",
            lookup.get((latest, grade), 0),
            "count",
        )
        + "</tr>"
        for grade in (*GRADES, None)
    ]
    return (
        head
        + f'<p class="period">Distribution on {latest} and on the last scored day of each month.</p>'
        + "<table><tr><th class='text'>grade</th><th>accounts</th></tr>"
        + "".join(latest_rows)
        + "</table>"
        + chart
        + _definitions(registry, ["health_scores_daily.score", "health_scores_daily.grade"])
    )


def _section_at_risk(tables: Mapping[str, pl.DataFrame], registry: pl.DataFrame | None) -> str:
    head = "<h2 id='at-risk'>At-risk accounts</h2>"
    health = tables.get("marts.health_scores_daily")
    signals = tables.get("marts.churn_signals_daily")
    accounts = tables.get("marts.dim_accounts")
    if health is None and signals is None:
        return head + _absent(
            "marts.health_scores_daily", "At-risk accounts (health grade D/F or high churn signals)"
        )
    risky: dict[str, list[str]] = {}
    if health is not None:
        latest = health.filter(pl.col("as_of_date") == health["as_of_date"].max())
        for r in latest.filter(pl.col("grade").is_in(list(AT_RISK_GRADES))).iter_rows(named=True):
            risky.setdefault(r["account_id"], []).append(f"grade {r['grade']}")
    if signals is not None and "severity" in signals.columns:
        latest = signals.filter(pl.col("as_of_date") == signals["as_of_date"].max())
        for r in latest.filter(pl.col("severity").is_in(["high", "critical"])).iter_rows(
            named=True
        ):
            risky.setdefault(r["account_id"], []).append(f"{r['signal']} ({r['severity']})")
    mrr: dict[str, object] = {}
    names: dict[str, str] = {}
    if accounts is not None and "current_mrr" in accounts.columns:
        mrr = {r["account_id"]: r["current_mrr"] for r in accounts.iter_rows(named=True)}
    if accounts is not None and "account_name" in accounts.columns:
        names = {r["account_id"]: r["account_name"] or "" for r in accounts.iter_rows(named=True)}
    ranked = sorted(risky.items(), key=lambda kv: -(float(mrr.get(kv[0]) or 0)))
    total = sum(float(mrr[a]) for a in risky if mrr.get(a) is not None)
    rows = "".join(
        f'<tr><td class="text">{escape(a)} {escape(names.get(a, ""))}</td>'
        f'<td class="text">{escape(", ".join(reasons))}</td>'
        + _cell(
            "dim_accounts.current_mrr", a, None if mrr.get(a) is None else float(mrr[a]), "money"
        )
        + "</tr>"
        for a, reasons in ranked[:50]
    )
    return (
        head
        + '<p class="period">Accounts with health grade D or F on the latest scored day, or a high or '
        "critical churn signal on the latest signal day.</p>"
        + f"<p>{len(risky)} accounts at risk; MRR at stake "
        f'<strong data-metric="at_risk.mrr_at_stake" data-value="{total!r}">{total:,.2f}</strong>'
        " (current MRR of those accounts; the 50 largest are listed).</p>"
        + "<table><tr><th class='text'>account</th><th class='text'>why</th><th>current MRR</th></tr>"
        + rows
        + "</table>"
    )


def _section_onboarding(tables: Mapping[str, pl.DataFrame], registry: pl.DataFrame | None) -> str:
    head = "<h2 id='onboarding'>Onboarding and time to first value</h2>"
    frame = tables.get("marts.onboarding_progress")
    if frame is None:
        return head + _absent("marts.onboarding_progress", "Onboarding and time to first value")
    latest = frame["as_of_date"].max()
    frame = frame.filter(pl.col("as_of_date") == latest)
    status_counts = frame.group_by("status").agg(pl.len().alias("accounts")).sort("status")
    rows = "".join(
        f'<tr><td class="text">{escape(r["status"])}</td>'
        + _cell("onboarding_progress.accounts", r["status"], r["accounts"], "count")
        + "</tr>"
        for r in status_counts.iter_rows(named=True)
    )
    known = frame["time_to_first_value_days"].drop_nulls()
    median = None if known.is_empty() else float(known.median())
    parts = [
        head,
        f'<p class="period">Every onboarding account as of {latest}.</p>',
        "<table><tr><th class='text'>status</th><th>accounts</th></tr>",
        rows,
        "</table>",
        "<p>Median time to first value: "
        f'<strong data-metric="onboarding_progress.time_to_first_value_days.median" '
        f'data-value="{"" if median is None else repr(median)}">{_value_text(median, "days")}</strong> '
        f"over the {known.len()} accounts that reached first value (accounts still on their way "
        "have no value yet and are not counted).</p>",
    ]
    completion = tables.get("marts.onboarding_completion")
    if completion is None:
        parts.append(_absent("marts.onboarding_completion", "Onboarding completion rate"))
    else:
        overall = completion.filter(
            (pl.col("as_of_date") == completion["as_of_date"].max()) & (pl.col("program") == "all")
        )
        for r in overall.iter_rows(named=True):
            interval = (
                f" (95% interval {_value_text(r['rate_low'], 'fraction')} – "
                f"{_value_text(r['rate_high'], 'fraction')})"
                if r["rate_low"] is not None
                else ""
            )
            parts.append(
                "<p>Onboarding completion: "
                f'<strong data-metric="onboarding_completion.rate" data-key="all" '
                f'data-value="{"" if r["rate"] is None else repr(r["rate"])}">'
                f"{_value_text(r['rate'], 'fraction')}</strong>{interval}: {r['completed']} of the "
                f"{r['window_ended']} accounts whose onboarding window has ended completed every "
                f"required step within it (as of {r['as_of_date']}).</p>"
            )
    parts.append(
        _definitions(
            registry,
            ["onboarding_progress.time_to_first_value_days", "onboarding_completion.rate"],
        )
    )
    return "".join(parts)


def _section_gate(
    publication: Mapping[str, object] | None, tables: Mapping[str, pl.DataFrame]
) -> str:
    head = "<h2 id='gate'>Checks of this publication</h2>"
    if publication is None:
        return head + _absent("audit.publications", "The gate's verdict")
    parts = [
        head,
        f'<p>Verdict: <strong data-metric="publications.verdict" data-value="{escape(str(publication["verdict"]))}">'
        f"{escape(str(publication['verdict']))}</strong> — run <code>{escape(str(publication['run_id']))}</code>, "
        f"as of {publication['as_of_date']}, {publication['warnings']} warning(s).</p>",
    ]
    checks = tables.get("audit.check_results")
    if checks is None:
        parts.append(_absent("audit.check_results", "Check results"))
    else:
        run = checks.filter(pl.col("run_id") == publication["run_id"])
        summary = run.group_by("status").agg(pl.len().alias("n")).sort("status")
        parts.append(
            "<p>"
            + ", ".join(
                f'<span data-metric="check_results.count" data-key="{escape(r["status"])}" '
                f'data-value="{r["n"]}">{r["n"]} {escape(r["status"])}</span>'
                for r in summary.iter_rows(named=True)
            )
            + "</p>"
        )
        notable = run.filter(pl.col("status") != "pass").sort("rule", "target")
        if notable.height:
            parts.append(
                "<table><tr><th class='text'>rule</th><th class='text'>target</th>"
                "<th class='text'>status</th><th class='text'>observed</th><th class='text'>message</th></tr>"
                + "".join(
                    f'<tr><td class="text">{escape(str(r["rule"]))}</td><td class="text">{escape(str(r["target"]))}</td>'
                    f'<td class="text">{escape(str(r["status"]))}</td><td class="text">{escape(str(r["observed_value"]))}</td>'
                    f'<td class="text">{escape(str(r["message"]))}</td></tr>'
                    for r in notable.iter_rows(named=True)
                )
                + "</table>"
            )
    gx = tables.get("audit.gx_results")
    if gx is None:
        parts.append(_absent("audit.gx_results", "Great Expectations results"))
    else:
        parts.append(_gx_summary(gx, tables.get("audit.gx_report"), str(publication["run_id"])))
    return "".join(parts)


def _gx_summary(gx: pl.DataFrame, gx_report: pl.DataFrame | None, run_id: str) -> str:
    """This publication's Great Expectations results: counts, the failed expectations, the suite page."""
    run = gx.filter(pl.col("run_id") == run_id) if "run_id" in gx.columns else gx
    outcome = (
        pl.when(pl.col("success").is_null())
        .then(pl.lit("not applicable"))
        .when(pl.col("success"))
        .then(pl.lit("passed"))
        .otherwise(pl.lit("failed"))
    )
    counts = run.with_columns(outcome=outcome).group_by("outcome").agg(pl.len().alias("n"))
    summary = ", ".join(
        f'<span data-metric="gx_results.count" data-key="{escape(r["outcome"])}" '
        f'data-value="{r["n"]}">{r["n"]} {escape(r["outcome"])}</span>'
        for r in counts.sort("outcome").iter_rows(named=True)
    )
    failed = run.filter(pl.col("success").not_()).select(
        "table", "expectation", "column", "unexpected_count", "details"
    )
    parts = [
        "<h3>Great Expectations</h3>",
        f"<p>Expectations on the published tables for this run: {summary or 'none recorded'}.</p>",
        _frame_table("gx_failures", failed, limit=100) if failed.height else "",
    ]
    if gx_report is not None:
        fragment = gx_report.filter(pl.col("run_id") == run_id)["html"].to_list()
        if fragment:
            parts.append(
                f"<details><summary>the suites, table by table</summary>{fragment[0]}</details>"
            )
    return "".join(parts)


def _frame_table(name: str, frame: pl.DataFrame, limit: int) -> str:
    head = "".join(f"<th class='text'>{escape(c)}</th>" for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(f'<td class="text">{escape(str(v))}</td>' for v in row) + "</tr>"
        for row in frame.head(limit).iter_rows()
    )
    more = f"<p>{frame.height - limit} more rows in the table.</p>" if frame.height > limit else ""
    return f'<table data-table="{escape(name)}"><tr>{head}</tr>{body}</table>{more}'


def build_report(
    tables: Mapping[str, pl.DataFrame],
    publication: Mapping[str, object] | None,
    source_name: str,
    generated_at: dt.datetime,
) -> str:
    """The whole page from the published tables present (`schema.table` → frame)."""
    registry = tables.get("audit.metric_registry")
    synthetic = bool(publication and publication.get("synthetic"))
    as_of = publication["as_of_date"] if publication else None
    banner = (
        '<div class="banner" id="synthetic-banner">SYNTHETIC DATA — generated for demonstration, '
        "not real customers.</div>"
        if synthetic
        else ""
    )
    sections: list[Callable[[], str]] = [
        lambda: _section_scorecard(tables, registry),
        lambda: _section_movements(tables, registry),
        lambda: _section_retention(tables, registry),
        lambda: _section_cohorts(tables, registry),
        lambda: _section_nps(tables, registry),
        lambda: _section_health(tables, registry, as_of),
        lambda: _section_at_risk(tables, registry),
        lambda: _section_onboarding(tables, registry),
        lambda: _section_gate(publication, tables),
    ]
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">"
        f"<title>Customer-success leadership report — as of {as_of}</title><style>{STYLE}</style></head><body>"
        + banner
        + f"<h1>Customer-success leadership report</h1><p class='meta'>As of {as_of}; built "
        f"{generated_at:%Y-%m-%d %H:%M} UTC from <code>{escape(source_name)}</code> only. "
        f"Definitions: <a href='{DOCS_LINK}'>metrics.md</a> and audit.metric_registry.</p>"
        + "".join(section() for section in sections)
        + "</body></html>"
    )
