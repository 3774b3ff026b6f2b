"""The monthly report: parameters, queries, and the rendered HTML checked independently."""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

import independent
from conftest import frame, query
from kam import render, report


@pytest.fixture(scope="module")
def con(demo_warehouse):
    connection = report.connect(demo_warehouse)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def month(demo_warehouse) -> str:
    return render.latest_month(demo_warehouse)


@pytest.mark.parametrize("args, message", [
    (("2026-13",), "report_month must be YYYY-MM (e.g. 2026-10), got '2026-13'"),
    (("last month",), "report_month must be YYYY-MM"),
    (("1999-01",), "month 1999-01 is outside the data"),
    (("{month}", "atlantis"), "unknown region 'atlantis' (known: central, east"),
    (("{month}", None, "Nobody Here"), "unknown account manager 'Nobody Here'"),
    (("{month}", None, None, "piracy"), "unknown industry 'piracy'"),
])
def test_bad_parameters_fail_fast_with_one_line(con, month, args, message):
    args = tuple(a.format(month=month) if isinstance(a, str) else a for a in args)
    with pytest.raises(report.ReportError) as failure:
        report.check_parameters(con, *args)
    assert message in str(failure.value)
    assert "\n" not in str(failure.value)


def test_output_names_carry_the_filter(tmp_path):
    assert render.output_path(tmp_path, "2026-10", {}).name == "kam_monthly_report.html"
    assert render.output_path(tmp_path, "2026-10", {"account_manager": "Li Wei"}).name == \
        "kam_monthly_report_manager-li-wei.html"


def test_pareto_curve_rises_to_one(con, month):
    curve = report.pareto(con, report.check_parameters(con, month))
    assert curve.profit_share.is_monotonic_increasing
    assert curve.profit_share.iloc[-1] == pytest.approx(1.0)
    assert curve.customer_share.iloc[-1] == pytest.approx(1.0)


def test_a_filter_narrows_every_number(con, month):
    whole = report.headline(con, report.check_parameters(con, month)).set_index("metric")
    east = report.headline(con, report.check_parameters(con, month, region="east")).set_index("metric")
    for metric in ("revenue", "active_accounts", "key_accounts"):
        assert 0 < east.this_month[metric] < whole.this_month[metric]


def test_churn_by_dimension_from_the_mart_equals_the_accounts_counted(con, month):
    # the whole book reads churn_rates_monthly; counting the accounts (as a filtered report does)
    # gives the same rows
    scope = report.check_parameters(con, month)
    from_mart = report.churn_by(con, scope)
    counted = report._churn_by_accounts(con, scope)
    for dimension, by_value in from_mart.items():
        expected = counted[counted.dimension == dimension].set_index("dimension_value")
        got = by_value.set_index(dimension)
        assert len(got) == len(expected) > 1
        assert (got.account_months == expected.account_months.reindex(got.index)).all()
        assert (got.churned == expected.churned.reindex(got.index)).all()
        assert got.churned.sum() > 0
    east = report.churn_by(con, report.check_parameters(con, month, region="east"))["industry"]
    assert 0 < east.account_months.sum() < from_mart["industry"].account_months.sum()


def _headline_from_html(html: str) -> dict[tuple[str, str], float | None]:
    cells = re.findall(r'data-metric="(\w+)" data-period="(\w+)" data-value="([^"]*)"', html)
    return {(m, p): (float(v) if v else None) for m, p, v in cells}


@pytest.fixture(scope="module")
def rendered(demo_warehouse, month, tmp_path_factory) -> Path:
    return render.render(demo_warehouse, month, out_dir=tmp_path_factory.mktemp("reports"))


def test_rendered_headline_equals_independent_numbers(rendered, demo_raw, demo_warehouse, month):
    html = rendered.read_text(encoding="utf-8")
    shown = _headline_from_html(html)
    assert len(shown) == 8 * 3
    month_end = pd.Timestamp(month + "-01") + pd.offsets.MonthEnd(0)

    # revenue and NPS straight from the raw files, cleaned in pandas
    _, orders, surveys = independent.clean(demo_raw)
    in_month = orders[(orders.order_date > month_end - pd.offsets.MonthEnd(1)) & (orders.order_date <= month_end)]
    assert shown["revenue", "this_month"] == pytest.approx(in_month.revenue_cents.sum() / 100, abs=1e-6)
    assert shown["gross_profit", "this_month"] == pytest.approx(in_month.gp_cents.sum() / 100, abs=1e-6)
    recent = surveys[(surveys.survey_date > month_end - pd.offsets.MonthEnd(3))
                     & (surveys.survey_date <= month_end) & surveys.nps.notna()]
    nps = 100 * ((recent.nps >= 9).sum() - (recent.nps <= 6).sum()) / len(recent)
    assert shown["nps_3m", "this_month"] == pytest.approx(nps)

    # counts and churn straight from the marts, written here without the report's code
    me = month_end.date()
    [(active, key_accounts)] = query(demo_warehouse, f"""
        select (select count(*) from customer_churn_monthly where month_end = '{me}'
                    and status in ('new', 'active', 'at_risk', 'reactivated')),
               (select count(*) from customer_tier_monthly where month_end = '{me}' and is_key_account)""")
    assert shown["active_accounts", "this_month"] == active
    assert shown["key_accounts", "this_month"] == key_accounts
    [(base, churned)] = query(demo_warehouse, f"""
        select count(*), count(*) filter (where is_churn_event) from customer_churn_monthly
        where month_end = '{me}' and previous_status in ('new', 'active', 'at_risk', 'reactivated')""")
    assert shown["logo_churn", "this_month"] == pytest.approx(churned / base)
    # the churn rates and retention are the ones churn_rates_monthly stores for the month
    [stored] = query(demo_warehouse, f"""
        select logo_churn_rate, revenue_churn_rate, net_revenue_retention from churn_rates_monthly
        where month_end = '{me}' and dimension = 'all'""")
    for metric, value in zip(("logo_churn", "revenue_churn", "nrr"), stored):
        assert value is not None and shown[metric, "this_month"] == pytest.approx(value)
    previous = (month_end - pd.offsets.MonthEnd(1)).date()
    [(last_month_revenue,)] = query(demo_warehouse, f"""
        select sum(revenue) from stg_raw__orders where status = 'completed'
        and order_date > '{(month_end - pd.offsets.MonthEnd(2)).date()}' and order_date <= '{previous}'""")
    assert shown["revenue", "last_month"] == pytest.approx(float(last_month_revenue))


def test_report_has_every_section_and_no_personal_data(rendered, demo_raw):
    html = rendered.read_text(encoding="utf-8")
    for heading in ["1. Headline", "2. Who makes the profit", "3. Tiers", "4. Key accounts at risk",
                    "5. Churn", "6. Coverage", "7. Satisfaction", "8. Model quality"]:
        assert heading in html
    assert "def show" not in html and "import" not in html.split("<body", 1)[1][:2000]
    contacts = independent.read(demo_raw, "contacts")
    surveys = independent.read(demo_raw, "surveys")
    names = set(contacts.contact_person) - set(contacts.account_manager) - {""}
    assert names
    comments = set(surveys.comment) - {""}
    assert not [n for n in names if n in html], "contact names must not appear in the report"
    assert not [c for c in comments if c in html], "survey comments must not appear in the report"
    images = re.findall(r'<img[^>]+src="data:image/png;base64,([^"]+)"', html)
    assert len(images) >= 8
    assert all(base64.b64decode(i)[:8] == b"\x89PNG\r\n\x1a\n" for i in images)


def test_coverage_lists_the_managers_with_the_lowest_coverage(demo_warehouse, con, month, tmp_path):
    by_manager = report.coverage(con, report.check_parameters(con, month), "account_manager")
    shown = 3
    assert len(by_manager) > shown
    html = render.render(demo_warehouse, month, out_dir=tmp_path, managers_shown=shown)
    section = html.read_text(encoding="utf-8").split("6. Coverage", 1)[1].split("7. Satisfaction", 1)[0]
    assert f"The {shown} of {len(by_manager)} account managers with the lowest coverage" in section
    ranked = by_manager.sort_values(["coverage_rate", "account_manager"]).account_manager
    assert all(name in section for name in ranked.iloc[:shown])
    assert not any(name in section for name in ranked.iloc[shown:])


def test_coverage_rate_counts_the_accounts_owed_contact_in_the_mart_and_in_a_region(demo_warehouse, con, month):
    # independently: of the live accounts whose tier owes a visit or a call, the share that got
    # both, per manager (the mart's path) and in one region (the counted path)
    scope = report.check_parameters(con, month)
    rows = frame(demo_warehouse, f"""
        select tiers.account_manager, tiers.visits_owed_per_quarter, tiers.visits_delivered_3m,
            tiers.calls_owed_per_month, tiers.calls_delivered, churn.status, customers.region
        from customer_tier_monthly as tiers
        inner join customer_churn_monthly as churn using (customer_id, month_end)
        inner join dim_customers as customers using (customer_id)
        where month_end = '{scope.month_end}'""")
    live = rows[rows.status.isin(["new", "active", "at_risk", "reactivated"])]
    owed = live[(live.visits_owed_per_quarter > 0) | (live.calls_owed_per_month > 0)]
    met = (owed.visits_delivered_3m >= owed.visits_owed_per_quarter) & (owed.calls_delivered >= owed.calls_owed_per_month)
    expected = met.groupby(owed.account_manager.fillna("unassigned")).mean()
    got = report.coverage(con, scope).set_index("account_manager").coverage_rate
    assert len(got) > 3 and 0 < got.min() < 1
    pd.testing.assert_series_equal(got.sort_index(), expected.sort_index(), check_names=False, check_index_type=False)
    east = report.coverage(con, report.check_parameters(con, month, region="east"))
    in_east = owed.region == "east"
    expected_east = met[in_east].groupby(owed.account_manager[in_east].fillna("unassigned")).mean()
    pd.testing.assert_series_equal(east.set_index("account_manager").coverage_rate.sort_index(),
                                   expected_east.sort_index(), check_names=False, check_index_type=False)


CHECK_IMAGES = """<script>
window.addEventListener('load', () => {
  const images = [...document.images];
  const broken = images.filter(img => !img.complete || img.naturalWidth === 0).length;
  document.body.setAttribute('data-images', images.length);
  document.body.setAttribute('data-broken-images', broken);
});
</script>"""


def _chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    assert path, "chromium is missing: `make test` installs Debian's chromium package"
    return path


CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def test_report_loads_in_chromium_with_no_broken_images(rendered, tmp_path):
    probe = tmp_path / "probe.html"
    probe.write_text(rendered.read_text(encoding="utf-8").replace("</body>", CHECK_IMAGES + "</body>"),
                     encoding="utf-8")
    profile = tmp_path / "profile"
    dom = subprocess.run([_chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                          "--virtual-time-budget=10000", "--dump-dom", probe.as_uri()],
                         capture_output=True, text=True, timeout=120).stdout
    images = re.search(r'data-images="(\d+)"', dom)
    broken = re.search(r'data-broken-images="(\d+)"', dom)
    assert images and broken, "the page did not finish loading"
    assert int(images.group(1)) >= 8
    assert broken.group(1) == "0"

    screenshot = tmp_path / "report.png"
    subprocess.run([_chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                    "--window-size=1280,2400", "--hide-scrollbars", f"--screenshot={screenshot}",
                    rendered.as_uri()], capture_output=True, timeout=120, check=True)
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert screenshot.stat().st_size > 50_000  # a rendered page, not a blank one
