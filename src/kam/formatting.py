"""The report's tables as HTML: numbers formatted by unit (money, counts, percentages,
scores), no index noise; the headline with each cell's exact value for checking."""

from __future__ import annotations

import html

import pandas as pd


def fmt(value, unit: str) -> str:
    if value is None or pd.isna(value):
        return "–"
    if unit == "percent":
        return f"{value:.1%}"
    if unit == "money":
        return f"{value:,.0f}"
    if unit == "score":
        return f"{value:.1f}"
    return f"{value:,.0f}"


def headline_html(table: pd.DataFrame) -> str:
    """The headline as an HTML table; each cell carries its exact value for checking."""
    def cell(row, period):
        value = row[period]
        exact = "" if value is None or pd.isna(value) else repr(float(value))
        return (f'<td data-metric="{row.metric}" data-period="{period}" data-value="{exact}">'
                f"{fmt(value, row.unit)}</td>")

    def change(row, period):
        now, then = row.this_month, row[period]
        if now is None or then is None or pd.isna(now) or pd.isna(then):
            return "<td>–</td>"
        if row.unit in ("percent",):
            return f"<td>{(now - then) * 100:+.1f} pts</td>"
        if row.unit == "score":
            return f"<td>{now - then:+.1f}</td>"
        return f"<td>{(now - then) / abs(then):+.1%}</td>" if then else "<td>–</td>"

    rows = "".join(
        f"<tr><th>{html.escape(row.label)}</th>{cell(row, 'this_month')}{cell(row, 'last_month')}"
        f"{change(row, 'last_month')}{cell(row, 'year_ago')}{change(row, 'year_ago')}</tr>"
        for _, row in table.iterrows())
    return ('<table class="headline"><thead><tr><th></th><th>This month</th><th>Last month</th>'
            "<th>Change</th><th>A year ago</th><th>Change</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>")


def table_html(frame: pd.DataFrame, formats: dict[str, str] | None = None) -> str:
    """A formatted HTML table: thousands separators, percentages, no index noise."""
    formats = formats or {}
    shown = frame.copy()
    for column in shown.columns:
        unit = formats.get(column)
        if unit is None and pd.api.types.is_float_dtype(shown[column]):
            unit = "money"
        if unit:
            shown[column] = [fmt(v, unit) for v in shown[column]]
    shown.columns = [str(c).replace("_", " ") for c in shown.columns]
    return shown.to_html(index=False, escape=True, na_rep="–", classes="report-table", border=0)
