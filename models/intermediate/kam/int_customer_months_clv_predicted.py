"""Per customer and month: probability alive, orders expected in the next 90 days, expected
average order profit and discounted 12-month CLV, from the BG/NBD and Gamma-Gamma fits as of
that month (or the last converged fit before it: a failed fit never blanks the predictions).

Gamma-Gamma models revenue per purchase (it needs positive values); the expected order profit
is that times the account's lifetime gross margin, so value stays profit, not revenue.
Months are processed one at a time and streamed out as Arrow batches; an incremental build
predicts only the months rebuilt.
"""

import pyarrow as pa

from kam import clv

SCHEMA = pa.schema([
    ("customer_id", pa.string()), ("month_end", pa.date32()), ("p_alive", pa.float64()),
    ("expected_orders_90d", pa.float64()), ("expected_avg_order_profit", pa.float64()),
    ("clv_12m", pa.float64()), ("clv_params_month_end", pa.date32()),
])


def _last_good(params, model, month_end):
    good = params[(params.model == model) & params.converged & (params.month_end <= month_end)]
    if good.empty:
        return None, None
    latest = good.month_end.max()
    rows = good[good.month_end == latest]
    return dict(zip(rows.parameter, rows.value.astype(float))), latest


def model(dbt, session):
    dbt.config(materialized="incremental", incremental_strategy="months_rebuilt", unique_key="month_end")
    rate = float(dbt.config.get("clv_annual_discount_rate"))
    # dbt reads a Python model's dependencies from its own dbt.ref calls, so they stay here
    params = dbt.ref("clv_model_params").df()
    params["month_end"] = params.month_end.dt.date
    rfm = dbt.ref("int_customer_months_rfm")
    months = rfm.aggregate("month_end", "month_end").order("month_end").df().month_end.dt.date
    months = clv.months_rebuilt(months, dbt.ref("int_build_months"))
    time_unit = params.time_unit.iloc[0] if len(params) else "day"
    per_unit = clv.DAYS_PER_UNIT[time_unit]

    def batches():
        for month_end in months:
            bg, bg_month = _last_good(params, "bgnbd", month_end)
            gg, _ = _last_good(params, "gamma_gamma", month_end)
            month = rfm.filter(f"month_end = DATE '{month_end}'").select(
                "customer_id, frequency, recency_days, age_days, monetary_value, lifetime_gross_margin"
            ).to_arrow_table()
            # the numbers to pandas, the ids kept as Arrow strings: made into Python objects and
            # back they cost more than the predictions
            frame = month.drop_columns(["customer_id"]).to_pandas()
            n = len(frame)
            out = {"customer_id": month.column("customer_id").combine_chunks(), "month_end": [month_end] * n,
                   "p_alive": [None] * n, "expected_orders_90d": [None] * n,
                   "expected_avg_order_profit": [None] * n, "clv_12m": [None] * n,
                   "clv_params_month_end": [bg_month] * n}
            if bg is not None:
                x, t_x, age = clv.rfm_arrays(frame, time_unit)
                out["p_alive"] = clv.p_alive(bg, x, t_x, age)
                out["expected_orders_90d"] = clv.expected_purchases(bg, 90 / per_unit, x, t_x, age)
                if gg is not None:
                    margin = frame.lifetime_gross_margin.fillna(0).to_numpy(float)
                    spend = clv.expected_spend(gg, x, frame.monetary_value.fillna(0).to_numpy(float))
                    profit = spend * margin
                    out["expected_avg_order_profit"] = profit
                    out["clv_12m"] = clv.clv(bg, profit, x, t_x, age, 12, rate, per_unit)
            yield pa.RecordBatch.from_pydict(out, schema=SCHEMA)

    return pa.RecordBatchReader.from_batches(SCHEMA, batches())
