{#- The health score's backtest against churn in the following 90 days (metrics.md §2): one row per
    calibration date (scope calibration_date) and one row pooling the latest 12 calibration dates
    (scope pooled_12m, calibration_date NULL), whose per-grade churn rates rest on enough accounts
    to compare grades. The population of a date is the accounts paying on it (customer status
    paying: the live book, trials excluded); an account churned when its status is no longer
    paying on any day of the horizon (metrics.md §2), not only on a month-end valuation. -#}
select
    cast(scope as string) as scope,
    cast(calibration_date as date) as calibration_date,
    cast(pool_first_date as date) as pool_first_date,
    cast(pool_last_date as date) as pool_last_date,
    cast(calibration_dates as bigint) as calibration_dates,
    cast(horizon_days as bigint) as horizon_days,
    cast(accounts as bigint) as accounts,
    cast(churned_accounts as bigint) as churned_accounts,
    cast(auc as double) as auc,
    cast(flagged_at_risk as bigint) as flagged_at_risk,
    cast(true_positives as bigint) as true_positives,
    cast(precision_at_risk as double) as precision_at_risk,
    cast(recall_at_risk as double) as recall_at_risk,
    cast(accounts_grade_a as bigint) as accounts_grade_a,
    cast(churned_grade_a as bigint) as churned_grade_a,
    cast(churn_rate_grade_a as double) as churn_rate_grade_a,
    cast(accounts_grade_b as bigint) as accounts_grade_b,
    cast(churned_grade_b as bigint) as churned_grade_b,
    cast(churn_rate_grade_b as double) as churn_rate_grade_b,
    cast(accounts_grade_c as bigint) as accounts_grade_c,
    cast(churned_grade_c as bigint) as churned_grade_c,
    cast(churn_rate_grade_c as double) as churn_rate_grade_c,
    cast(accounts_grade_d as bigint) as accounts_grade_d,
    cast(churned_grade_d as bigint) as churned_grade_d,
    cast(churn_rate_grade_d as double) as churn_rate_grade_d,
    cast(accounts_grade_f as bigint) as accounts_grade_f,
    cast(churned_grade_f as bigint) as churned_grade_f,
    cast(churn_rate_grade_f as double) as churn_rate_grade_f,
    cast(population as string) as population,
    cast(churn_rule as string) as churn_rule,
    cast(as_of_date as date) as as_of_date,
    cast(config_version as string) as config_version
from {{ source('transforms', 'health_calibration') }}
