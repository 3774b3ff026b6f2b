"""Chart functions: titles, axis labels with units, the data drawn."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from kam import charts


def _texts(fig):
    ax = fig.axes[0]
    return ax.get_title(loc="left"), ax.get_xlabel(), ax.get_ylabel()


@pytest.mark.parametrize("make, data", [
    (charts.pareto_curve, pd.DataFrame({"customer_share": [0.5, 1.0], "profit_share": [0.8, 1.0]})),
    (charts.value_bands, pd.DataFrame({"band": ["A", "B", "C"], "accounts": [2, 5, 3],
                                       "gross_profit_12m": [800.0, 190.0, 10.0]})),
    (charts.tier_distribution, pd.DataFrame({"tier": ["KA6 crystal", "CA commercial A"], "accounts": [3, 9]})),
    (charts.churn_trend, pd.DataFrame({"month_end": [dt.date(2026, 9, 30), dt.date(2026, 10, 31)],
                                       "churn_rate": [0.02, 0.015]})),
    (charts.churn_reasons, pd.DataFrame({"reason": ["Price", "Moved away"], "churn_type": ["voluntary", "passive"],
                                         "accounts": [4, 1]})),
    (charts.satisfaction_trend, pd.DataFrame({"month_end": [dt.date(2026, 9, 30), dt.date(2026, 10, 31)],
                                              "nps": [20.0, 25.0], "csat": [0.6, 0.7]})),
])
def test_every_chart_has_a_title_and_labelled_axes(make, data):
    fig = make(data)
    title, xlabel, ylabel = _texts(fig)
    assert title and xlabel and ylabel
    assert "(" in xlabel + ylabel, "an axis names its unit"


def test_charts_draw_the_data():
    fig = charts.churn_by(pd.DataFrame({"industry": ["energy", "government"],
                                        "monthly_churn_rate": [0.01, 0.03]}), "industry")
    bars = fig.axes[0].patches
    assert sorted(round(b.get_width(), 4) for b in bars) == [0.01, 0.03]
    fig = charts.coverage(pd.DataFrame({"account_manager": ["Li Wei", "Zhao Fang"],
                                        "coverage_rate": [0.5, 1.0]}), "account_manager")
    assert sorted(b.get_width() for b in fig.axes[0].patches) == [0.5, 1.0]
    assert "manager" in fig.axes[0].get_title(loc="left")
