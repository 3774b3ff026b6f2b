"""Deterministic demo data in the raw contract, with the dynamics the marts are judged on.

Customers are simulated in fixed-size chunks, each with its own random stream derived from
(seed, chunk number), so the output is the same bytes for the same arguments and memory stays
bounded at any scale. Files are partitioned by month (``orders/2026-10/part-00000.parquet``: the
month of the order, contact, survey or customer creation), one file per month and load, written
chunk by chunk.

The simulation runs FUTURE_MONTHS past the last written month and writes only what is known by
then, so ``--append-month`` can write the next month of the same story as a new load (new files
in that month's folders; rows already written are not rewritten, so payments that arrive later
for orders already written stay unknown in the demo).

What the simulation carries (and writes as ground truth outside the raw folder):
- value: monthly spend is lognormal (sigma 1.6), so about 20% of accounts carry about 80% of
  gross profit; some big accounts buy at thin or negative margin; about 1% are reference accounts;
- churn: a monthly hazard raised by low satisfaction, an account manager who misses the contact
  cadence, price sensitivity, the customer's own business trouble, and the industry (government,
  mining and manufacturing, real estate churn most, as in the methodology's telecom example);
  churned accounts stop ordering, about half answer an exit survey, a fifth come back later;
- contacts at a spend-dependent cadence scaled by each manager's diligence; complaints followed up
  within a week or not; semiannual relationship surveys of large accounts, transactional surveys
  after some orders; late and partial payers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from tqdm import tqdm

from kam import contract

TIER_POLICY = Path(__file__).resolve().parents[2] / "seeds" / "tier_policy.csv"
CHUNK_SIZE = 20_000
N_MONTHS = 36
FUTURE_MONTHS = 12  # simulated beyond the written months, for --append-month
MANIFEST = ".demo.json"  # in the raw folder: what was generated, so a month can be appended
DATE_COLUMNS = {"customers": "created_date", "orders": "order_date", "contacts": "contact_date",
                "surveys": "survey_date"}

INDUSTRIES = np.array([
    "government", "mining_manufacturing", "real_estate", "finance", "retail_trade",
    "logistics", "healthcare", "education", "telecom_media", "energy",
])
INDUSTRY_WEIGHTS = np.array([0.10, 0.16, 0.10, 0.08, 0.14, 0.10, 0.08, 0.08, 0.08, 0.08])
# The methodology's churn concentrates in government, mining & manufacturing and real estate.
INDUSTRY_HAZARD = np.array([1.9, 1.6, 1.5, 0.8, 1.0, 1.0, 0.8, 0.7, 0.9, 0.8])

REGIONS = {
    "north": ["Beijing", "Tianjin", "Shijiazhuang"],
    "east": ["Shanghai", "Hangzhou", "Nanjing"],
    "south": ["Guangzhou", "Shenzhen", "Xiamen"],
    "central": ["Wuhan", "Changsha", "Zhengzhou"],
    "west": ["Chengdu", "Chongqing", "Xi'an"],
    "northeast": ["Shenyang", "Dalian", "Harbin"],
}
REGION_NAMES = np.array(list(REGIONS))
CHANNELS = np.array(["direct", "distributor", "retail", "online"])
CHANNEL_WEIGHTS = np.array([0.30, 0.25, 0.30, 0.15])
CHANNEL_SPEND = np.array([1.6, 1.3, 0.7, 0.4])  # direct key accounts buy most, online least

STYLES = np.array(["analytical", "driver", "expressive", "amiable"])
ROLES = np.array(["decision_maker", "influencer", "user", "purchaser"])

# Churn reasons (codes match seeds/churn_reasons.csv): competitor, price and service are
# voluntary churn; business trouble and relocation are passive churn.
REASONS = np.array(["competitor_offer", "price", "service_quality", "business_trouble", "relocation"])

CN_PREFIX = list("华信宏达恒泰金鑫瑞丰盛源中天海博鸿远东方")
CN_SUFFIX = {
    "government": "政务服务中心", "mining_manufacturing": "制造有限公司", "real_estate": "置业有限公司",
    "finance": "金融控股集团", "retail_trade": "商贸有限公司", "logistics": "物流有限公司",
    "healthcare": "医疗器械有限公司", "education": "教育科技有限公司",
    "telecom_media": "传媒有限公司", "energy": "能源股份有限公司",
}
EN_WORDS = ["Northwind", "Pacific", "Golden", "Summit", "Harbor", "Silver", "Eastern",
            "Orient", "Pioneer", "Evergreen", "Crown", "Union"]
EN_SUFFIX = {
    "government": "Public Services Bureau", "mining_manufacturing": "Manufacturing Co.",
    "real_estate": "Properties Ltd.", "finance": "Capital Group", "retail_trade": "Trading Co.",
    "logistics": "Logistics Ltd.", "healthcare": "Medical Ltd.", "education": "Education Tech",
    "telecom_media": "Media Group", "energy": "Energy Corp.",
}
SURNAMES = ["Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou",
            "Xu", "Sun", "Ma", "Zhu", "Hu", "Guo", "He", "Lin", "Smith", "Brown"]
GIVEN = ["Wei", "Fang", "Na", "Min", "Jing", "Lei", "Qiang", "Yan", "Jun", "Tao",
         "Hui", "Ping", "Gang", "Li", "Emma", "James"]

ENTITIES = ("customers", "orders", "contacts", "surveys")


@dataclass(frozen=True)
class Window:
    """The simulated months: N_MONTHS up to ``first_last_month`` (the first load's last month)
    and FUTURE_MONTHS after it; ``n_known`` of them are known (written) so far."""

    month_starts: np.ndarray  # datetime64[D], one per simulated month
    month_days: np.ndarray    # days in each month
    n_known: int              # months known at the cut

    @classmethod
    def of(cls, first_last_month: dt.date, n_appended: int = 0) -> Window:
        last = np.datetime64(first_last_month.replace(day=1), "M")
        months = np.arange(last - (N_MONTHS - 1), last + FUTURE_MONTHS + 1)
        starts = months.astype("datetime64[D]")
        ends = (months + 1).astype("datetime64[D]")
        return cls(starts, (ends - starts).astype(int), N_MONTHS + n_appended)

    @property
    def end(self) -> np.datetime64:
        """The cut: the last day of the last known month; nothing after it is written."""
        return self.month_starts[self.n_known - 1] + self.month_days[self.n_known - 1] - 1


def default_last_month(today: dt.date | None = None) -> dt.date:
    """The last complete month before today."""
    today = today or dt.date.today()
    return today.replace(day=1) - dt.timedelta(days=1)


def _managers(rng: np.random.Generator, n_customers: int) -> tuple[np.ndarray, np.ndarray]:
    """Manager names and diligence (share of the contact standard they deliver)."""
    n = max(3, n_customers // 60)
    names = np.array([f"{SURNAMES[i % len(SURNAMES)]} {GIVEN[(i // len(SURNAMES)) % len(GIVEN)]}"
                      + (f" {i // (len(SURNAMES) * len(GIVEN)) + 1}"
                         if i >= len(SURNAMES) * len(GIVEN) else "")
                      for i in range(n)])
    # A third of managers fall well short of the standard (the methodology: measure the gap).
    diligence = np.where(rng.random(n) < 0.33, rng.uniform(0.25, 0.6, n), rng.uniform(0.85, 1.15, n))
    return names, diligence


def _pick(rng: np.random.Generator, options: np.ndarray, n: int, p=None) -> np.ndarray:
    return options[rng.choice(len(options), size=n, p=p)]


def _names(rng: np.random.Generator, industry: np.ndarray, ids: np.ndarray) -> np.ndarray:
    chinese = rng.random(len(ids)) < 0.6
    a = rng.integers(0, len(CN_PREFIX), len(ids))
    b = rng.integers(0, len(CN_PREFIX), len(ids))
    w = rng.integers(0, len(EN_WORDS), len(ids))
    out = []
    for i, cid in enumerate(ids):
        serial = cid[-4:]
        if chinese[i]:
            out.append(f"{CN_PREFIX[a[i]]}{CN_PREFIX[b[i]]}{CN_SUFFIX[industry[i]]}{serial}")
        else:
            out.append(f"{EN_WORDS[w[i]]} {EN_SUFFIX[industry[i]]} {serial}")
    return np.array(out)


CONTACT_GIVEN = ["Xiaoming", "Lihua", "Jianguo", "Meiling", "Zhiwei", "Yuting", "Haoran", "Shufen",
                 "Olivia", "Daniel", "Sophie", "Martin"]


def _person_names(rng: np.random.Generator, n: int) -> np.ndarray:
    """Customers' people (personal data), named apart from the account managers."""
    s = rng.integers(0, len(SURNAMES), n)
    g = rng.integers(0, len(CONTACT_GIVEN), n)
    return np.array([f"{SURNAMES[i]} {CONTACT_GIVEN[j]}" for i, j in zip(s, g)])


def _simulate_chunk(chunk: int, first_id: int, n: int, seed: int, window: Window,
                    managers: tuple[np.ndarray, np.ndarray]) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng([seed, chunk])
    T = len(window.month_starts)
    ids = np.array([f"C{first_id + i:07d}" for i in range(n)])

    # --- customer profile -------------------------------------------------------------
    industry_idx = rng.choice(len(INDUSTRIES), size=n, p=INDUSTRY_WEIGHTS)
    industry = INDUSTRIES[industry_idx]
    region = _pick(rng, REGION_NAMES, n)
    city = np.array([REGIONS[r][k] for r, k in zip(region, rng.integers(0, 3, n))])
    channel_idx = rng.choice(len(CHANNELS), size=n, p=CHANNEL_WEIGHTS)
    mgr_idx = rng.integers(0, len(managers[0]), n)
    diligence = managers[1][mgr_idx]

    # Monthly spend in CNY: lognormal, so value is heavily skewed (the 80/20 rule).
    spend = np.exp(rng.normal(np.log(600), 1.6, n)) * CHANNEL_SPEND[channel_idx]
    orders_per_month = np.clip(1.9 * (spend / 600) ** 0.35, 0.15, 15)
    order_value = spend / orders_per_month
    # Most accounts earn a normal margin; some big accounts buy at thin or negative margin.
    size_rank = spend.argsort().argsort() / max(n - 1, 1)
    thin = rng.random(n) < 0.04 + 0.12 * size_rank
    margin = np.where(thin, rng.normal(-0.01, 0.05, n), rng.normal(0.26, 0.07, n))
    price_sensitive = rng.random(n) < 0.25
    discount_rate = np.where(price_sensitive, rng.uniform(0.08, 0.15, n), rng.uniform(0, 0.05, n))
    satisfaction = rng.normal(0, 1, n) - 0.8 * np.clip(1 - diligence, 0, None)
    late_payer = rng.random(n) < 0.12
    partial_payer = rng.random(n) < 0.04
    style = _pick(rng, STYLES, n)
    is_reference = (rng.random(n) < 0.006) | ((industry == "government") & (rng.random(n) < 0.03))

    # Lifecycle: two thirds were customers before the window, the rest join during it;
    # 6% are prospects that never sign.
    before = rng.random(n) < 0.65
    created_month = np.where(before, -rng.integers(1, 48, n), rng.integers(0, T, n))
    created_date = (window.month_starts[0].astype("datetime64[M]") + created_month).astype(
        "datetime64[D]") + rng.integers(0, 28, n)
    never_signs = rng.random(n) < 0.06
    signed_month = created_month + rng.integers(0, 3, n)
    signed_date = np.maximum(created_date + rng.integers(3, 60, n),
                             (window.month_starts[0].astype("datetime64[M]") + signed_month)
                             .astype("datetime64[D]"))
    # The simulation never looks at the cut (the random streams stay the same whatever is
    # written); what is not known by the cut is blanked or left out when writing.
    prospect = never_signs | (signed_date > window.end)  # not signed by the cut
    signed_idx = (signed_date.astype("datetime64[M]") - window.month_starts[0].astype("datetime64[M]")).astype(int)
    starts = np.where(never_signs, T + 1, np.maximum(signed_idx, 0))  # orders from the signing month

    # --- monthly churn simulation ------------------------------------------------------
    alive = np.ones(n, bool)
    trouble_until = np.full(n, -1)
    first_churn = np.full(n, -1)
    reason_idx = np.full(n, -1)
    reactivated = np.full(n, -1)
    come_back_at = np.full(n, 10**6)
    active = np.zeros((n, T), bool)
    base = 0.009 * INDUSTRY_HAZARD[industry_idx] * (spend / 600) ** -0.12
    for t in range(T):
        eligible = starts <= t
        trouble_until = np.where(rng.random(n) < 0.008, t + rng.integers(3, 9, n), trouble_until)
        in_trouble = trouble_until >= t
        factors = np.stack([
            np.ones(n),                                             # competitor offer
            np.where(price_sensitive, 1.2, 0.05),                   # price
            np.exp(-0.8 * satisfaction) * (1 + 1.5 * np.clip(1 - diligence, 0, None)) - 0.6,
            np.where(in_trouble, 9.0, 0.0),                         # business trouble
            np.full(n, 0.15),                                       # relocation
        ]).clip(0.01)
        hazard = base * factors.sum(axis=0) / 1.8
        churn_now = alive & eligible & (rng.random(n) < hazard)
        if churn_now.any():
            # The reason is the driver that weighs most, drawn in proportion to its weight.
            share = factors[:, churn_now] / factors[:, churn_now].sum(axis=0)
            pick = (share.cumsum(axis=0) < rng.random(churn_now.sum())).sum(axis=0)
            first = churn_now & (first_churn < 0)
            reason_idx[first] = pick[first[churn_now]]
            first_churn[first] = t
            back = churn_now & (rng.random(n) < 0.2)
            come_back_at[back] = t + rng.integers(3, 13, back.sum())
            alive &= ~churn_now
        returning = ~alive & (come_back_at == t)
        alive |= returning
        reactivated[returning & (reactivated < 0)] = t
        satisfaction[returning] += 0.5
        active[:, t] = alive & eligible

    # --- orders ---------------------------------------------------------------------------
    season = 1 + 0.15 * np.sin(np.arange(T) / 12 * 2 * np.pi)
    counts = rng.poisson(orders_per_month[:, None] * season[None, :] * active)
    cust, month = np.nonzero(counts)
    reps = counts[cust, month]
    o_cust = np.repeat(cust, reps)
    o_month = np.repeat(month, reps)
    o_date = window.month_starts[o_month] + (rng.random(len(o_cust)) * window.month_days[o_month]
                                            ).astype(int)
    order = np.lexsort((o_date, o_cust))
    o_cust, o_date = o_cust[order], o_date[order]
    n_orders = len(o_cust)
    status = np.select([rng.random(n_orders) < 0.04, rng.random(n_orders) < 0.03],
                       ["cancelled", "returned"], "completed")
    revenue = np.round(order_value[o_cust] * rng.lognormal(-0.08, 0.4, n_orders), 2)
    cost = np.round(revenue * (1 - margin[o_cust] + rng.normal(0, 0.03, n_orders)), 2)
    discount = np.round(revenue * discount_rate[o_cust] / (1 - discount_rate[o_cust]), 2)
    quantity = np.maximum(1, np.round(revenue / rng.uniform(80, 400, n_orders))).astype(int)
    terms = np.where(CHANNELS[channel_idx][o_cust] == "distributor", 60, 30)
    due = o_date + terms
    late = late_payer[o_cust] & (rng.random(n_orders) < 0.5)
    paid = np.where(late, due + rng.integers(10, 90, n_orders), o_date + rng.integers(3, terms))
    partial = partial_payer[o_cust] & (rng.random(n_orders) < 0.3)
    paid_amount = np.where(partial, np.round(revenue * rng.uniform(0.5, 0.9, n_orders), 2), revenue)
    unpaid = (status != "completed") | (paid > window.end)
    orders = pd.DataFrame({
        "order_id": [f"O{first_id:07d}-{i:06d}" for i in range(n_orders)],
        "customer_id": ids[o_cust],
        "order_date": o_date,
        "status": status,
        "revenue": revenue,
        "cost": cost,
        "discount": discount,
        "quantity": quantity,
        "due_date": due,
        "paid_date": np.where(unpaid, np.datetime64("NaT"), paid).astype("datetime64[D]"),
        "paid_amount": np.where(unpaid, np.nan, paid_amount),
    })

    # --- contacts: cadence by spend level, scaled by the manager's diligence ----------------
    # Managers aim at the service standard of the tier the spend puts the account in.
    policy = pd.read_csv(TIER_POLICY).sort_values("min_monthly_spend")
    level = np.searchsorted(policy.min_monthly_spend.to_numpy(), spend, side="right") - 1
    visits_q = policy.visits_per_quarter.to_numpy()[level] + 0.25
    calls_m = policy.calls_per_month.to_numpy()[level] + 0.3
    complaint_p = 0.03 * np.exp(-0.7 * satisfaction)
    rates = {
        "visit": visits_q / 3 * diligence,
        "call": calls_m * diligence,
        "email": np.full(n, 0.8),
        "gift": np.where(spend >= 3_000, 0.08, 0.0),
        "event": np.full(n, 0.03),
    }
    # Contacts go on a little after churn (managers try to win the account back).
    reachable = active | (np.arange(T)[None, :] <= first_churn[:, None] + 1) & (first_churn[:, None] >= 0)
    reachable &= np.arange(T)[None, :] >= starts[:, None]
    parts = []
    for ch, rate in rates.items():
        if ch in ("visit", "call"):
            # scheduled contacts: regular, so a diligent manager meets the standard
            c = np.floor(rate[:, None] + rng.random((n, T))).astype(int) * reachable
        else:
            c = rng.poisson(rate[:, None] * reachable)
        cc, mm = np.nonzero(c)
        r = c[cc, mm]
        parts.append((np.repeat(cc, r), np.repeat(mm, r), np.full(r.sum(), ch), "relationship"))
    comp = rng.random((n, T)) < complaint_p[:, None] * active
    cc, mm = np.nonzero(comp)
    parts.append((cc, mm, np.full(len(cc), "call"), "complaint"))
    c_cust = np.concatenate([p[0] for p in parts])
    c_month = np.concatenate([p[1] for p in parts])
    c_channel = np.concatenate([p[2] for p in parts])
    c_topic = np.concatenate([np.full(len(p[0]), p[3]) for p in parts])
    n_c = len(c_cust)
    c_day = (rng.random(n_c) * window.month_days[c_month]).astype(int)
    c_date = window.month_starts[c_month] + c_day
    sales = (c_topic == "relationship") & (rng.random(n_c) < 0.4)
    c_topic = np.where(sales, "sales", c_topic)
    # Complaints: a diligent manager follows up within a week, others later or never.
    is_comp = c_topic == "complaint"
    follow = is_comp & (rng.random(n_c) < 0.85 * diligence[c_cust])
    late_follow = is_comp & ~follow & (rng.random(n_c) < 0.5)
    fu = follow | late_follow
    fu_cust = c_cust[fu]
    fu_date = c_date[fu] + np.where(follow[fu], rng.integers(1, 8, fu.sum()),
                                    rng.integers(9, 30, fu.sum()))
    c_cust = np.concatenate([c_cust, fu_cust])
    c_date = np.concatenate([c_date, fu_date])
    c_channel = np.concatenate([c_channel, np.full(len(fu_cust), "call")])
    c_topic = np.concatenate([c_topic, np.full(len(fu_cust), "support")])
    order = np.lexsort((c_date, c_cust))
    c_cust, c_date, c_channel, c_topic = c_cust[order], c_date[order], c_channel[order], c_topic[order]
    n_c = len(c_cust)
    dm_name = _person_names(rng, n)
    role = np.where(rng.random(n_c) < 0.55, "decision_maker", _pick(rng, ROLES[1:], n_c))
    other_name = _person_names(rng, n_c)
    c_hour = rng.integers(9, 18, n_c).astype("timedelta64[h]")
    contacts = pd.DataFrame({
        "contact_id": [f"K{first_id:07d}-{i:06d}" for i in range(n_c)],
        "customer_id": ids[c_cust],
        "contact_date": c_date.astype("datetime64[s]") + c_hour,
        "channel": c_channel,
        "account_manager": managers[0][mgr_idx][c_cust],
        "contact_person": np.where(role == "decision_maker", dm_name[c_cust], other_name),
        "contact_role": role,
        "personality_style": np.where(role == "decision_maker", style[c_cust], None),
        "topic": c_topic,
        "outcome": np.where(c_topic == "complaint", "customer raised an issue", "follow-up agreed"),
    })

    # --- surveys -----------------------------------------------------------------------------
    month_of_year = window.month_starts.astype("datetime64[M]").astype(int) % 12 + 1
    semiannual = np.isin(month_of_year, [5, 11])
    rel = (rng.random((n, T)) < 0.6) & active & semiannual[None, :] & (spend >= 1_500)[:, None]
    r_cust, r_month = np.nonzero(rel)
    r_date = window.month_starts[r_month] + rng.integers(0, 28, len(r_cust))
    completed_idx = np.flatnonzero((status == "completed") & (rng.random(n_orders) < 0.04))
    t_cust = o_cust[completed_idx]
    t_date = o_date[completed_idx] + rng.integers(3, 11, len(t_cust))
    churners = np.flatnonzero((first_churn >= 0) & (rng.random(n) < 0.5))
    e_date = window.month_starts[first_churn[churners]] + rng.integers(5, 45, len(churners))
    s_cust = np.concatenate([r_cust, t_cust, churners])
    s_date = np.concatenate([r_date, t_date, e_date])
    s_type = np.concatenate([np.full(len(r_cust), "relationship"), np.full(len(t_cust), "transactional"),
                             np.full(len(churners), "exit")])
    order = np.lexsort((s_date, s_cust))
    s_cust, s_date, s_type = s_cust[order], s_date[order], s_type[order]
    n_s = len(s_cust)
    is_exit = s_type == "exit"
    mood = satisfaction[s_cust] - 1.5 * is_exit + rng.normal(0, 0.8, n_s)
    score5 = lambda shift: np.clip(np.round(3.6 + 0.8 * (mood + shift)), 1, 5).astype(int)  # noqa: E731
    surveys = pd.DataFrame({
        "response_id": [f"S{first_id:07d}-{i:06d}" for i in range(n_s)],
        "customer_id": ids[s_cust],
        "survey_date": s_date,
        "survey_type": s_type,
        "nps_score": np.clip(np.round(8.3 + 1.4 * mood), 0, 10).astype(int),
        "csat_score": score5(0.0),
        "quality_score": score5(0.2),
        "delivery_score": score5(0.0),
        "service_score": score5(-0.6 * (1 - diligence[s_cust])),
        "price_score": score5(-0.8 * price_sensitive[s_cust]),
        "churn_reason_code": np.where(is_exit, REASONS[np.maximum(reason_idx[s_cust], 0)], None),
        "comment": np.where(mood < -1, "not happy with the service", None),
    })

    customers = pd.DataFrame({
        "customer_id": ids,
        "customer_name": _names(rng, industry, ids),
        "industry": industry,
        "region": region,
        "city": city,
        "channel": CHANNELS[channel_idx],
        "account_manager": managers[0][mgr_idx],
        "created_date": created_date,
        "signed_date": np.where(prospect, np.datetime64("NaT"), signed_date).astype("datetime64[D]"),
        "is_reference_account": is_reference,
    })
    month_end = lambda t: np.where(t >= 0, (window.month_starts.astype("datetime64[M]")[  # noqa: E731
        np.clip(t, 0, T - 1)] + 1).astype("datetime64[D]") - 1, np.datetime64("NaT"))
    known = lambda t: np.where(t < window.n_known, t, -1)  # noqa: E731  what happened by the cut
    truth = pd.DataFrame({
        "customer_id": ids,
        "monthly_spend": np.round(spend, 2),
        "margin": np.round(margin, 4),
        "is_price_sensitive": price_sensitive,
        "manager_diligence": np.round(diligence, 3),
        "satisfaction": np.round(satisfaction, 3),
        "is_prospect": prospect,
        # the month in which the account stopped ordering (no orders from this month on)
        "true_churn_month_end": month_end(known(first_churn)),
        "true_churn_reason": np.where(known(first_churn) >= 0, REASONS[np.maximum(reason_idx, 0)], None),
        "reactivated_month_end": month_end(known(reactivated)),
        "is_churned_at_end": ~active[:, window.n_known - 1] & (starts < window.n_known),
    })[created_date <= window.end]
    return {"customers": customers, "orders": orders, "contacts": contacts, "surveys": surveys,
            "truth": truth}


def _inject_bad_rows(tables: dict[str, pd.DataFrame], rng: np.random.Generator) -> None:
    """A few realistic bad rows, so the demo shows quarantine at work (CSV output only)."""
    orders = tables["orders"].astype({"order_date": "string"})
    surveys, contacts = tables["surveys"], tables["contacts"]
    k = max(1, len(tables["customers"]) // 1000)
    pick = lambda df: df.iloc[rng.choice(len(df), k, replace=False)].copy()  # noqa: E731
    unknown, negative, bad_date = pick(orders), pick(orders), pick(orders)
    unknown["customer_id"] = "C9999999"
    unknown["order_id"] += "-X"
    negative["order_id"] += "-N"
    negative["status"] = "completed"
    negative["revenue"] = -negative["revenue"]
    bad_date["order_id"] += "-D"
    bad_date["order_date"] = "2023-02-30"
    tables["orders"] = pd.concat([orders, pick(orders), unknown, negative, bad_date])
    bad_score = pick(surveys)
    bad_score["response_id"] = bad_score["response_id"] + "-R"
    bad_score["nps_score"] = 11
    tables["surveys"] = pd.concat([surveys, bad_score])
    tables["customers"] = pd.concat([tables["customers"], pick(tables["customers"])])
    no_key = pick(contacts)
    no_key["contact_id"] = None
    tables["contacts"] = pd.concat([contacts, no_key])


def _arrow(df: pd.DataFrame) -> pa.Table:
    table = pa.Table.from_pandas(df, preserve_index=False)
    for i, field in enumerate(table.schema):
        # calendar dates are dates; only contact_date carries a time of day
        if pa.types.is_timestamp(field.type) and field.name != "contact_date":
            table = table.set_column(i, field.name, table.column(i).cast(pa.date32()))
        # a column that is empty in one chunk is still text in the next
        elif pa.types.is_null(field.type):
            table = table.set_column(i, field.name, table.column(i).cast(pa.string()))
    return table


def _arrow_type(data_type: str) -> pa.DataType:
    """The Arrow type of a contract data_type (typed Parquet, as a source system exports it)."""
    if data_type.startswith("decimal("):
        precision, scale = (int(n) for n in data_type[len("decimal("):-1].split(","))
        return pa.decimal128(precision, scale)
    return {"varchar": pa.string(), "date": pa.date32(), "timestamp": pa.timestamp("us"),
            "boolean": pa.bool_(), "integer": pa.int32()}[data_type]


def _contract_typed(table: pa.Table, types: dict[str, pa.DataType]) -> pa.Table:
    for name, target in types.items():
        i = table.schema.get_field_index(name)
        values = table.column(i)
        if pa.types.is_decimal(target) and pa.types.is_integer(values.type):
            values = values.cast(pa.decimal128(38, target.scale))  # an int64 needs the headroom first
        table = table.set_column(i, name, values.cast(target))
    return table


class _MonthFiles:
    """One file per entity and month, written chunk by chunk (memory stays one chunk); Parquet
    columns carry the contract's types."""

    def __init__(self, raw_dir: Path, fmt: str):
        self.raw_dir, self.fmt, self.writers, self.schemas = raw_dir, fmt, {}, {}
        self.written = dict.fromkeys(ENTITIES, 0)
        # read once: write() runs per chunk and month
        self.types = {entity: {c.name: _arrow_type(c.data_type) for c in columns}
                      for entity, columns in contract.load_contract().items()}

    def write(self, entity: str, df: pd.DataFrame, months: pd.Series) -> None:
        for month, part in df.groupby(months.to_numpy(), sort=True):
            table = _arrow(part)
            if self.fmt == "parquet":
                table = _contract_typed(table, self.types[entity])
            schema = self.schemas.setdefault(entity, table.schema)
            table = table.cast(schema)
            key = (entity, month)
            if key not in self.writers:
                folder = self.raw_dir / entity / month
                folder.mkdir(parents=True, exist_ok=True)
                path = folder / f"part-00000.{self.fmt}"
                self.writers[key] = (pq.ParquetWriter(path, schema, compression="zstd")
                                     if self.fmt == "parquet" else pacsv.CSVWriter(path, schema))
            self.writers[key].write_table(table)
            self.written[entity] += len(part)

    def close(self) -> None:
        for writer in self.writers.values():
            writer.close()


def _month_keys(df: pd.DataFrame, entity: str, fallback: str) -> pd.Series:
    """YYYY-MM of each row's date; rows whose date does not parse go to the load's last month."""
    dates = pd.to_datetime(df[DATE_COLUMNS[entity]], errors="coerce")
    return dates.dt.strftime("%Y-%m").fillna(fallback)


def _load(raw_dir: Path, truth_dir: Path, manifest: dict, progress: bool) -> dict[str, int]:
    """Simulate every chunk and write the rows dated in the load's months (and the truth at the cut)."""
    window = Window.of(dt.date.fromisoformat(manifest["first_last_month"]), manifest["months_appended"])
    n_customers, seed, fmt = manifest["scale"], manifest["seed"], manifest["format"]
    initial = manifest["months_appended"] == 0
    load_start = window.month_starts[0 if initial else window.n_known - 1]
    last_key = str(window.end)[:7]
    managers = _managers(np.random.default_rng([seed, 10**9]), n_customers)
    files = _MonthFiles(raw_dir, fmt)
    truth_parts = []
    n_chunks = -(-n_customers // CHUNK_SIZE)
    try:
        for chunk in tqdm(range(n_chunks), desc=f"demo data to {last_key}", unit="chunk", disable=not progress):
            first = chunk * CHUNK_SIZE
            tables = _simulate_chunk(chunk, first + 1, min(CHUNK_SIZE, n_customers - first), seed, window, managers)
            truth_parts.append(tables.pop("truth"))
            for entity in ENTITIES:
                dates = pd.to_datetime(tables[entity][DATE_COLUMNS[entity]])
                # the initial load also writes customers created before the first month
                in_load = (dates <= window.end) & ((dates >= load_start) | (initial and entity == "customers"))
                tables[entity] = tables[entity][in_load.to_numpy()]
            if manifest["bad_rows"] and initial and fmt == "csv":
                _inject_bad_rows(tables, np.random.default_rng([seed, chunk, 7]))
            for entity in ENTITIES:
                files.write(entity, tables[entity], _month_keys(tables[entity], entity, last_key))
    finally:
        files.close()
    truth_dir.mkdir(parents=True, exist_ok=True)
    pq.write_table(_arrow(pd.concat(truth_parts)), truth_dir / "customer_truth.parquet", compression="zstd")
    (raw_dir / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return files.written


def generate(raw_dir: Path, truth_dir: Path, n_customers: int = 2_000, seed: int = 42,
             last_month: dt.date | None = None, fmt: str | None = None,
             bad_rows: bool = True, progress: bool = True) -> dict[str, int]:
    """Write the demo raw data and its ground truth. Returns rows written per entity."""
    contract.reset_raw_dir(raw_dir)
    (raw_dir / MANIFEST).unlink(missing_ok=True)
    manifest = {"scale": n_customers, "seed": seed, "format": fmt or ("csv" if n_customers <= 50_000 else "parquet"),
                "bad_rows": bad_rows, "first_last_month": (last_month or default_last_month()).replace(day=1).isoformat(),
                "months_appended": 0}
    return _load(raw_dir, truth_dir, manifest, progress)


def append_month(raw_dir: Path, truth_dir: Path, progress: bool = True) -> tuple[str, dict[str, int]]:
    """Write the next month of the demo data in RAW_DIR (new files only). Returns the month and rows."""
    path = raw_dir / MANIFEST
    if not path.exists():
        raise contract.ContractError(f"{raw_dir} was not written by `kam data` (no {MANIFEST}); "
                                     "--append-month continues generated demo data only")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if manifest["months_appended"] >= FUTURE_MONTHS:
        raise contract.ContractError(f"the demo simulation covers {FUTURE_MONTHS} months after the first load; "
                                     "generate again with a later --last-month")
    manifest["months_appended"] += 1
    written = _load(raw_dir, truth_dir, manifest, progress)
    month = str(Window.of(dt.date.fromisoformat(manifest["first_last_month"]), manifest["months_appended"]).end)[:7]
    return month, written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kam data", description=__doc__.splitlines()[0])
    parser.add_argument("--raw-dir", type=Path, default=Path("data/raw"))
    parser.add_argument("--truth-dir", type=Path, default=Path("data/truth"))
    parser.add_argument("--scale", type=int, default=2_000, help="number of customers")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--last-month", type=dt.date.fromisoformat, default=None,
                        help="a date in the last month of data (default: last complete month)")
    parser.add_argument("--format", choices=["csv", "parquet"], default=None,
                        help="default: csv up to 50,000 customers, parquet above")
    parser.add_argument("--no-bad-rows", action="store_true",
                        help="do not add the few bad rows that show quarantine at work")
    parser.add_argument("--source", choices=["demo", "cdnow", "cdnow-master"], default="demo",
                        help="demo (generated), or the real CDNOW sample (2,357 customers) or master (23,570)")
    parser.add_argument("--append-month", action="store_true",
                        help="add the next month to demo data already in --raw-dir (new files only)")
    args = parser.parse_args(argv)
    if args.append_month:
        month, written = append_month(args.raw_dir, args.truth_dir)
        print(f"appended {month}: {', '.join(f'{v:,} {k}' for k, v in written.items())} to {args.raw_dir}",
              file=sys.stderr)
        return 0
    if args.scale < 1:
        parser.error("--scale must be at least 1")
    if args.source != "demo":
        from kam import cdnow

        written = cdnow.write(args.raw_dir, args.source)
        print(f"wrote {', '.join(f'{v:,} {k}' for k, v in written.items())} of CDNOW to {args.raw_dir}",
              file=sys.stderr)
        return 0
    written = generate(args.raw_dir, args.truth_dir, args.scale, args.seed, args.last_month,
                       args.format, not args.no_bad_rows)
    print(f"wrote {', '.join(f'{v:,} {k}' for k, v in written.items())} to {args.raw_dir}",
          file=sys.stderr)
    return 0
