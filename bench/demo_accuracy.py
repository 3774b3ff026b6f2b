"""The demo-data accuracy numbers quoted in the README (not a test):
`.venv/bin/python bench/demo_accuracy.py [WAREHOUSE] [TRUTH_PARQUET]` after `make build`.

Compares the last month's p_alive and rule-based status with the generator's ground truth
(churned at the end of the data), and averages the persisted holdout table.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from kam import warehouse

RULE_SCORE = {"new": 0, "active": 0, "reactivated": 0, "at_risk": 1, "churned": 2}


def auc(score, label) -> float:
    """ROC AUC, ties counted half (Mann-Whitney)."""
    score, label = np.asarray(score, float), np.asarray(label, bool)
    ranks = rankdata(score)
    positives, negatives = label.sum(), (~label).sum()
    return float((ranks[label].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def main() -> None:
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "warehouse/kam.duckdb")
    truth = pd.read_parquet(sys.argv[2] if len(sys.argv) > 2 else "data/truth/customer_truth.parquet")
    con = warehouse.connect(target)
    try:
        last = con.execute("""
            select customer_id, month_end, p_alive, status from customer_churn_monthly
            where month_end = (select max(month_end) from customer_churn_monthly)
                and p_alive is not null""").df()
        holdout = con.execute("select * from clv_model_holdout order by calibration_month_end").df()
        bands = con.execute("""
            select value_band, count(*) as accounts, sum(greatest(gross_profit_12m, 0)) as profit
            from customer_value_monthly
            where month_end = (select max(month_end) from customer_value_monthly) and value_band is not null
            group by 1 order by 1""").df()
    finally:
        con.close()
    joined = last.merge(truth, on="customer_id")
    churned = joined.is_churned_at_end.to_numpy(bool)
    print(f"last month {last.month_end.iloc[0]:%Y-%m}: {len(joined):,} accounts that had ordered, "
          f"{churned.sum():,} truly churned")
    print(f"  AUC of 1 - p_alive {auc(1 - joined.p_alive, churned):.3f}, "
          f"of the rule-based status {auc(joined.status.map(RULE_SCORE), churned):.3f}")
    print(f"holdout, mean over {len(holdout)} calibration months from "
          f"{holdout.calibration_month_end.iloc[0]:%Y-%m}: AUC p_alive {holdout.auc_p_alive.mean():.3f}, "
          f"expected orders {holdout.auc_expected_orders.mean():.3f}, rule {holdout.auc_rule_status.mean():.3f}; "
          f"MAE {holdout.mae_expected_orders.mean():.2f}, bias {holdout.bias_expected_orders.mean():+.2f}")
    shares = bands.assign(account_share=bands.accounts / bands.accounts.sum(),
                          profit_share=bands.profit / bands.profit.sum())
    print("value bands (last month): " + ", ".join(
        f"{r.value_band} {r.accounts} accounts ({r.account_share:.1%}) with {r.profit_share:.0%} of positive profit"
        for r in shares.itertuples()))


if __name__ == "__main__":
    main()
