"""Static charts of the monthly report: each returns a matplotlib Figure with a title, axis
labels and units, rendered to PNG inside the HTML so the report opens offline."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter, PercentFormatter  # noqa: E402

BAND_COLOURS = {"A": "#1b7837", "B": "#7fbf7b", "C": "#d9f0d3"}
THOUSANDS = FuncFormatter(lambda v, _: f"{v:,.0f}")


def _figure(title: str, size=(8, 4)) -> tuple[Figure, plt.Axes]:
    fig, ax = plt.subplots(figsize=size, dpi=100)
    ax.set_title(title, fontsize=12, loc="left")
    ax.grid(axis="y", alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    return fig, ax


def pareto_curve(curve: pd.DataFrame) -> Figure:
    """Share of accounts (ranked by profit) against their cumulative share of gross profit."""
    fig, ax = _figure("Pareto curve: who makes the profit (trailing 12 months)")
    ax.plot(curve.customer_share, curve.profit_share, color="#1b7837", linewidth=2,
            label="accounts ranked by gross profit")
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", label="equal shares")
    ax.axhline(0.8, color="#b2182b", linestyle="--", linewidth=1, label="80% of gross profit")
    ax.set_xlabel("Share of accounts (%)")
    ax.set_ylabel("Cumulative share of gross profit (%)")
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.legend(loc="lower right", frameon=False)
    fig.tight_layout()
    return fig


def value_bands(bands: pd.DataFrame) -> Figure:
    fig, ax = _figure("Value bands: accounts and trailing gross profit")
    colours = [BAND_COLOURS.get(b, "grey") for b in bands.band]
    ax.bar(bands.band, bands.gross_profit_12m.astype(float), color=colours, edgecolor="black")
    for x, (n, gp) in enumerate(zip(bands.accounts, bands.gross_profit_12m.astype(float))):
        ax.annotate(f"{n:,} accounts", (x, gp), ha="center", va="bottom", fontsize=9)
    ax.set_xlabel("Value band")
    ax.set_ylabel("Gross profit, trailing 12 months (currency)")
    ax.yaxis.set_major_formatter(THOUSANDS)
    fig.tight_layout()
    return fig


def tier_distribution(tiers: pd.DataFrame) -> Figure:
    fig, ax = _figure("Accounts by tier", size=(8, 4.5))
    ax.barh(tiers.tier[::-1], tiers.accounts[::-1], color="#2166ac")
    ax.set_xlabel("Accounts (count)")
    ax.set_ylabel("Tier")
    ax.xaxis.set_major_formatter(THOUSANDS)
    fig.tight_layout()
    return fig


def churn_trend(trend: pd.DataFrame) -> Figure:
    fig, ax = _figure("Logo churn rate by month")
    ax.plot(pd.to_datetime(trend.month_end), trend.churn_rate, marker="o", color="#b2182b")
    ax.set_xlabel("Month")
    ax.set_ylabel("Accounts churned / account base (%)")
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=1))
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


def churn_reasons(reasons: pd.DataFrame) -> Figure:
    fig, ax = _figure("Why accounts left (churn in the last 12 months)")
    colours = reasons.churn_type.map({"voluntary": "#d6604d", "passive": "#4393c3"}).fillna("grey")
    ax.barh(reasons.reason[::-1], reasons.accounts[::-1], color=list(colours[::-1]))
    ax.set_xlabel("Accounts churned (count; red: voluntary, blue: passive, grey: unknown)")
    ax.set_ylabel("Reason")
    fig.tight_layout()
    return fig


def churn_by(frame: pd.DataFrame, dimension: str) -> Figure:
    fig, ax = _figure(f"Monthly churn rate by {dimension} (last 12 months)")
    ax.barh(frame[dimension][::-1].astype(str), frame.monthly_churn_rate[::-1], color="#b2182b")
    ax.set_xlabel("Average monthly churn rate (%)")
    ax.set_ylabel(dimension.capitalize())
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=1))
    fig.tight_layout()
    return fig


def coverage(frame: pd.DataFrame, by: str) -> Figure:
    height = max(3.5, 0.28 * len(frame) + 1.5)
    fig, ax = _figure(f"Contact coverage by {by.replace('_', ' ')}: accounts meeting their tier's standard",
                      size=(8, height))
    ax.barh(frame[by][::-1].astype(str), frame.coverage_rate[::-1], color="#5aae61")
    ax.axvline(1.0, color="grey", linestyle=":")
    ax.set_xlabel("Accounts with visits and calls as owed (%)")
    ax.set_ylabel(by.replace("_", " ").capitalize())
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlim(0, 1.05)
    fig.tight_layout()
    return fig


def satisfaction_trend(trend: pd.DataFrame) -> Figure:
    fig, ax = _figure("NPS and CSAT by month")
    months = pd.to_datetime(trend.month_end)
    ax.plot(months, trend.nps, marker="o", color="#762a83", label="NPS (left axis)")
    ax.set_ylabel("NPS (-100 to 100)")
    ax.set_xlabel("Month")
    other = ax.twinx()
    other.plot(months, trend.csat, marker="s", color="#1b7837", label="CSAT (right axis)")
    other.set_ylabel("CSAT: share of 4-5 answers (%)")
    other.yaxis.set_major_formatter(PercentFormatter(1.0))
    other.set_ylim(0, 1)
    lines = ax.get_legend_handles_labels()[0] + other.get_legend_handles_labels()[0]
    ax.legend(lines, [line.get_label() for line in lines], loc="lower left", frameon=False)
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig
