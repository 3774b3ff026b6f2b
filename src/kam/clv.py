"""BG/NBD and Gamma-Gamma by maximum likelihood, on aggregated RFM summaries.

BG/NBD (Fader, Hardie & Lee 2005) models repeat purchases and dropout of non-contractual
customers from frequency x (repeat purchase days), recency t_x and age T; Gamma-Gamma models
the spend per purchase. Both likelihoods are vectorised and weighted: customers with the same
(x, t_x, T) (or (x, mean spend)) are one row with a count, so a million customers fit in
seconds. Parameters are optimised in log space (they are all positive) by L-BFGS-B with
analytic gradients; no penalty is needed for convergence.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import betaln, digamma, gammaln, hyp2f1

BGNBD = ("r", "alpha", "a", "b")
DAYS_PER_UNIT = {"day": 1, "week": 7}
GAMMA_GAMMA = ("p", "q", "v")


@dataclass(frozen=True)
class Fit:
    model: str
    params: dict[str, float]
    log_likelihood: float
    n_customers: int
    converged: bool
    message: str = ""


def aggregate(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Distinct rows of `columns` with a `weight` column counting the customers, sorted (rows
    with a missing value left out, as a group-by would)."""
    rows = frame[columns].dropna()
    distinct, index = _distinct_rows(*(rows[c].to_numpy() for c in columns))
    out = pd.DataFrame(dict(zip(columns, distinct)))
    out["weight"] = np.bincount(index, minlength=len(out)).astype(np.int64)
    return out.sort_values(columns, ignore_index=True)


def bgnbd_log_likelihood(log_params, x, t_x, T, weight, x_values=None, x_index=None) -> tuple[float, np.ndarray]:
    """Total log-likelihood and its gradient with respect to the log parameters. Functions of
    x alone are evaluated once per distinct x (x_values[x_index] == x): a few hundred
    special-function calls instead of one per row."""
    if x_values is None:
        x_values, x_index = np.unique(x, return_inverse=True)
    r, alpha, a, b = np.exp(log_params)
    b_x_1 = np.maximum(b + x_values - 1, 1e-300)
    log_alpha_T, log_alpha_t_x = np.log(alpha + T), np.log(alpha + t_x)
    a1 = (gammaln(r + x_values) - gammaln(r))[x_index] + r * np.log(alpha)
    a2 = (betaln(a, b + x_values) - betaln(a, b))[x_index]
    a3 = -(r + x) * log_alpha_T
    a4 = np.where(x > 0, np.log(a) - np.log(b_x_1)[x_index] - (r + x) * log_alpha_t_x, -np.inf)
    top = np.maximum(a3, a4)
    mix = top + np.log(np.exp(a3 - top) + np.exp(a4 - top))
    ll = np.sum(weight * (a1 + a2 + mix))
    # share of the second term of the mixture (0 where x = 0)
    w4 = np.exp(a4 - mix)
    w3 = 1 - w4
    d_r = (digamma(r + x_values) - digamma(r))[x_index] + np.log(alpha) \
        - w3 * log_alpha_T - w4 * log_alpha_t_x
    d_alpha = r / alpha - (r + x) * (w3 / (alpha + T) + w4 / (alpha + t_x))
    digamma_abx = digamma(a + b + x_values)
    d_a = (digamma(a + b) - digamma_abx)[x_index] + w4 / a
    d_b = (digamma(b + x_values) - digamma_abx - digamma(b) + digamma(a + b))[x_index] \
        - np.where(x > 0, w4 / b_x_1[x_index], 0.0)
    grad = np.array([np.sum(weight * d_r) * r, np.sum(weight * d_alpha) * alpha,
                     np.sum(weight * d_a) * a, np.sum(weight * d_b) * b])
    return float(ll), grad


def gamma_gamma_log_likelihood(log_params, x, m, weight, x_values=None, x_index=None,
                                log_m=None) -> tuple[float, np.ndarray]:
    """Total log-likelihood and its gradient with respect to the log parameters. As in
    bgnbd_log_likelihood, functions of x alone are evaluated once per distinct x; log m, which
    the optimiser does not change, may be passed in once."""
    if x_values is None:
        x_values, x_index = np.unique(x, return_inverse=True)
    p, q, v = np.exp(log_params)
    log_m = np.log(m) if log_m is None else log_m
    px_values = p * x_values
    px = px_values[x_index]
    log_xm_v = np.log(x * m + v)
    of_x = (gammaln(px_values + q) - gammaln(px_values) + px_values * np.log(x_values))[x_index]
    ll_terms = of_x - gammaln(q) + q * np.log(v) + (px - 1) * log_m - (px + q) * log_xm_v
    digamma_px_q = digamma(px_values + q)
    d_p = x * ((digamma_px_q - digamma(px_values) + np.log(x_values))[x_index] + log_m - log_xm_v)
    d_q = digamma_px_q[x_index] - digamma(q) + np.log(v) - log_xm_v
    d_v = q / v - (px + q) / (x * m + v)
    grad = np.array([np.sum(weight * d_p) * p, np.sum(weight * d_q) * q, np.sum(weight * d_v) * v])
    return float(np.sum(weight * ll_terms)), grad


def _maximise(log_likelihood, start, args, n_customers, names, model) -> Fit:
    def objective(log_params):
        ll, grad = log_likelihood(log_params, *args)
        if not np.isfinite(ll):
            return 1e300, np.zeros_like(log_params)
        return -ll / n_customers, -grad / n_customers

    result = minimize(objective, np.log(start), jac=True, method="L-BFGS-B",
                      bounds=[(-15, 15)] * len(start),
                      options={"maxiter": 2000, "ftol": 1e-14, "gtol": 1e-9})
    params = dict(zip(names, np.exp(result.x).tolist()))
    grad_norm = float(np.max(np.abs(result.jac))) if result.jac is not None else np.inf
    at_bound = bool(np.any(np.abs(result.x) >= 14.99))
    # judged on the gradient: L-BFGS-B may stop "abnormally" in a line search at the optimum
    converged = bool(np.isfinite(result.fun) and grad_norm < 1e-5 and not at_bound)
    message = "" if converged else (
        f"optimiser: {result.message}; max |gradient| {grad_norm:.2g}" + ("; a parameter hit its bound" if at_bound else ""))
    return Fit(model, params, -float(result.fun) * n_customers, n_customers, converged, message)


def fit_bgnbd(summary: pd.DataFrame, start=(1.0, 1.0, 1.0, 1.0)) -> Fit:
    """Fit on columns frequency, recency, T and optional weight (customers per row)."""
    weight = summary["weight"].to_numpy(float) if "weight" in summary else np.ones(len(summary))
    x, t_x, T = (summary[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    n = int(weight.sum())
    if n == 0:
        return Fit("bgnbd", {}, float("nan"), 0, False, "no customers")
    if not (x > 0).any():
        return Fit("bgnbd", {}, float("nan"), n, False, "no customer has a repeat purchase")
    scale = 1.0 / max(T.max(), 1e-9)  # fit in units of the oldest customer's age: better conditioned
    x_values, x_index = np.unique(x, return_inverse=True)
    fit = _maximise(bgnbd_log_likelihood, np.asarray(start, float),
                    (x, t_x * scale, T * scale, weight, x_values, x_index), n, BGNBD, "bgnbd")
    params = {**fit.params, "alpha": fit.params["alpha"] / scale}
    # the log-likelihood in the original time unit differs by the Jacobian of the rescaling
    ll = fit.log_likelihood + float(np.sum(weight * (x * np.log(scale))))
    return Fit("bgnbd", params, ll, n, fit.converged, fit.message)


def fit_gamma_gamma(summary: pd.DataFrame, start=(1.0, 1.0, 1.0)) -> Fit:
    """Fit on customers with repeat purchases: columns frequency, monetary_value, optional weight."""
    keep = (summary["frequency"] > 0) & (summary["monetary_value"] > 0)
    data = summary[keep]
    weight = data["weight"].to_numpy(float) if "weight" in data else np.ones(len(data))
    n = int(weight.sum())
    if n < 2:
        return Fit("gamma_gamma", {}, float("nan"), n, False, "fewer than 2 customers with repeat purchases")
    x, m = data["frequency"].to_numpy(float), data["monetary_value"].to_numpy(float)
    scale = 1.0 / np.median(m)  # spend in units of the median spend
    m = m * scale
    fit = _maximise(gamma_gamma_log_likelihood, np.asarray(start, float),
                    (x, m, weight, *np.unique(x, return_inverse=True), np.log(m)), n, GAMMA_GAMMA,
                    "gamma_gamma")
    params = {**fit.params, "v": fit.params["v"] / scale}
    ll = fit.log_likelihood + float(np.sum(weight * np.log(scale)))
    return Fit("gamma_gamma", params, ll, n, fit.converged, fit.message)


def months_rebuilt(months, build_months) -> list:
    """The months of `months` this build recomputes (a DuckDB relation of int_build_months
    gives the first; see macros/incremental_months.sql)."""
    first = build_months.filter("is_rebuilt").aggregate("min(month_end) as first").fetchall()[0][0]
    return [m for m in months if first is not None and m >= first]


def rfm_arrays(frame: pd.DataFrame, time_unit: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x, t_x and T of int_customer_months_rfm rows, in whole units of the fit's time unit."""
    per_unit = DAYS_PER_UNIT[time_unit]
    return (frame.frequency.to_numpy(float),
            np.floor(frame.recency_days.to_numpy(float) / per_unit),
            np.floor(frame.age_days.to_numpy(float) / per_unit))


def p_alive(params: dict, x, t_x, T) -> np.ndarray:
    """Probability the customer is still alive (has not dropped out) at age T."""
    r, alpha, a, b = (params[k] for k in BGNBD)
    x, t_x, T = (np.asarray(v, float) for v in (x, t_x, T))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        log_odds = np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) \
            + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
        return np.where(x > 0, 1.0 / (1.0 + np.exp(log_odds)), 1.0)


def expected_purchases(params: dict, t, x, t_x, T) -> np.ndarray:
    """Expected repeat purchases in the next t time units, given the customer's history."""
    r, alpha, a, b = (params[k] for k in BGNBD)
    x, t_x, T = (np.asarray(v, float) for v in (x, t_x, T))
    z = t / (alpha + T + t)
    hyp = hyp2f1(r + x, b + x, a + b + x - 1, z)
    first = (a + b + x - 1) / (a - 1) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        odds = np.where(x > 0, a / np.maximum(b + x - 1, 1e-300)
                        * ((alpha + T) / (alpha + t_x)) ** (r + x), 0.0)
    return first / (1 + odds)


def expected_spend(params: dict, x, m) -> np.ndarray:
    """Expected spend per purchase: the customer's mean shrunk towards the population's."""
    p, q, v = (params[k] for k in GAMMA_GAMMA)
    x, m = np.asarray(x, float), np.asarray(m, float)
    population = p * v / (q - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        own = p * (v + x * m) / (p * x + q - 1)
    return np.where((x > 0) & (m > 0), own, population)


def clv(bgnbd: dict, spend: np.ndarray, x, t_x, T, months: int = 12,
        annual_discount_rate: float = 0.10, days_per_unit: float = 1.0) -> np.ndarray:
    """Discounted value of the next `months`: each month's expected purchases x spend.

    The discounted purchases depend on (x, t_x, T) alone, so they are computed once per
    distinct triple (a fifth of the rows of a million-customer month) and scaled by spend."""
    monthly = (1 + annual_discount_rate) ** (1 / 12) - 1
    step = 30.0 / days_per_unit
    x, t_x, T = (np.asarray(v, float) for v in (x, t_x, T))
    (x_d, t_x_d, T_d), index = _distinct_rows(x, t_x, T)
    discounted, previous = np.zeros(len(x_d)), 0.0
    for month in range(1, months + 1):
        cumulative = expected_purchases(bgnbd, step * month, x_d, t_x_d, T_d)
        discounted += (cumulative - previous) / (1 + monthly) ** month
        previous = cumulative
    return np.asarray(spend, float) * discounted[index]


def _distinct_rows(*columns: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """The distinct rows of equal-length columns and, per row, the index of its own: one int64
    key per row in mixed radix, hashed (np.unique over rows sorts them, several times slower)."""
    codes = [pd.factorize(c, use_na_sentinel=False) for c in columns]
    if np.prod([float(len(values)) for _, values in codes]) >= 2.0 ** 62:
        distinct, index = np.unique(np.column_stack(columns), axis=0, return_inverse=True)
        return list(distinct.T), index.reshape(-1)
    key = np.zeros(len(columns[0]), np.int64)
    for inverse, values in codes:  # one int64 key per row, in mixed radix
        key = key * len(values) + inverse
    index, keys = pd.factorize(key)
    distinct = []
    for _, values in reversed(codes):
        keys, digit = np.divmod(keys, len(values))
        distinct.append(values[digit])
    return distinct[::-1], index
