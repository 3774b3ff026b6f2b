-- Which account managers fall short of the contact standard their accounts' tiers require?
-- The coverage rate as account_coverage_monthly stores it: accounts that got what their tier
-- requires over the accounts owed contact, summed over the manager's tiers.
with latest as (
    select max(month_end) as month_end from {{ ref('account_coverage_monthly') }}
)

select
    coverage.account_manager,
    sum(coverage.n_accounts_owed_contact) as accounts_owed_contact,
    sum(coverage.visits_owed_per_quarter) as visits_owed_per_quarter,
    sum(coverage.visits_delivered_3m) as visits_delivered_3m,
    sum(coverage.calls_owed_per_month) as calls_owed,
    sum(coverage.calls_delivered) as calls_delivered,
    sum(coverage.n_accounts_coverage_met) * 1.0 / sum(coverage.n_accounts_owed_contact) as coverage_rate
from {{ ref('account_coverage_monthly') }} as coverage
inner join latest on coverage.month_end = latest.month_end
group by coverage.account_manager
having sum(coverage.n_accounts_coverage_met) < sum(coverage.n_accounts_owed_contact)
order by coverage_rate, coverage.account_manager
