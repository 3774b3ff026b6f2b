"""BG/NBD and Gamma-Gamma fitted by maximum likelihood as of each month end.

One fit per month on that month's RFM summary, aggregated to distinct rows with counts (see
src/kam/clv.py). A fit that does not converge, or a month with too few repeat buyers, is
recorded with converged = false and a message; predictions then use the last good fit.
Incremental: only the months rebuilt are fitted, each starting from the previous month's
converged fit (read back from this table for the first), exactly as a full build chains them.
"""

import pyarrow as pa

from kam import clv

# explicit types: a month where every fit failed has no parameter names to infer them from
SCHEMA = pa.schema([
    ("month_end", pa.date32()), ("model", pa.string()), ("parameter", pa.string()),
    ("value", pa.float64()), ("log_likelihood", pa.float64()), ("n_customers", pa.int64()),
    ("time_unit", pa.string()), ("converged", pa.bool_()), ("message", pa.string()),
])


def _rows(month_end, fit, time_unit):
    base = {"month_end": month_end, "model": fit.model, "log_likelihood": fit.log_likelihood,
            "n_customers": fit.n_customers, "time_unit": time_unit, "converged": fit.converged,
            "message": fit.message}
    if not fit.params:
        return [{**base, "parameter": None, "value": None}]
    return [{**base, "parameter": name, "value": float(value)} for name, value in fit.params.items()]


def model(dbt, session):
    dbt.config(materialized="incremental", incremental_strategy="months_rebuilt", unique_key="month_end")
    time_unit = dbt.config.get("clv_time_unit")
    min_repeat = int(dbt.config.get("clv_min_repeat_customers"))
    per_unit = clv.DAYS_PER_UNIT[time_unit]
    rfm = dbt.ref("int_customer_months_rfm")
    months = rfm.aggregate("month_end", "month_end").order("month_end").df().month_end.dt.date
    months = clv.months_rebuilt(months, dbt.ref("int_build_months"))
    rows, start_bg, start_gg = [], (1.0, 1.0, 1.0, 1.0), (1.0, 1.0, 1.0)
    if dbt.is_incremental and months:
        kept = session.sql(f"select * from {dbt.this} where converged and month_end < DATE '{months[0]}'").df()
        for model_name, names in (("bgnbd", clv.BGNBD), ("gamma_gamma", clv.GAMMA_GAMMA)):
            fits = kept[kept.model == model_name]
            if len(fits):
                last = fits[fits.month_end == fits.month_end.max()].set_index("parameter").value
                if model_name == "bgnbd":
                    start_bg = tuple(float(last[k]) for k in names)
                else:
                    start_gg = tuple(float(last[k]) for k in names)
    for month_end in months:
        # rows in a fixed order: floating-point sums must not depend on DuckDB's scan order
        month = rfm.filter(f"month_end = DATE '{month_end}'")
        summary = month.aggregate(
            f"frequency, floor(recency_days / {per_unit}) as recency, floor(age_days / {per_unit}) as T, "
            "count(*) as weight", "frequency, recency, T").order("frequency, recency, T").df()
        repeat_buyers = int(summary.loc[summary.frequency > 0, "weight"].sum())
        if repeat_buyers < min_repeat:
            message = f"{repeat_buyers} customers with a repeat purchase, fewer than {min_repeat}"
            n = int(summary.weight.sum())
            bg = clv.Fit("bgnbd", {}, float("nan"), n, False, message)
            gg = clv.Fit("gamma_gamma", {}, float("nan"), repeat_buyers, False, message)
        else:
            bg = clv.fit_bgnbd(summary, start_bg)
            spend = month.filter("frequency > 0 and monetary_value > 0").aggregate(
                "frequency, monetary_value, count(*) as weight", "frequency, monetary_value"
            ).order("frequency, monetary_value").df()
            gg = clv.fit_gamma_gamma(spend, start_gg)
        # a converged fit is the best start for the next month's
        if bg.converged:
            start_bg = tuple(bg.params[k] for k in clv.BGNBD)
        if gg.converged:
            start_gg = tuple(gg.params[k] for k in clv.GAMMA_GAMMA)
        rows += _rows(month_end, bg, time_unit) + _rows(month_end, gg, time_unit)
    return pa.Table.from_pylist(rows, schema=SCHEMA)
