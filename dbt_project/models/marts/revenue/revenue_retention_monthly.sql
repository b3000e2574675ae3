{#- Churn and retention rates per month (metrics.md §1), each with its numerator and denominator,
    as fractions (0.93, not 93), unrounded:
    - logo churn = customers whose movement is churn in m / customers with MRR > 0 at the end of m−1,
      with a 95% Wilson interval;
    - gross revenue churn = (churned + contraction MRR) / MRR at the end of m−1;
    - monthly NRR = (MRR_start + expansion − contraction − churn) / MRR_start,
      monthly GRR = (MRR_start − contraction − churn) / MRR_start (new and reactivation excluded);
    - trailing-12-month NRR and GRR: over the customers with MRR > 0 at the end of m−12,
      Σ MRR_m / Σ MRR_m−12 and Σ min(MRR_m, MRR_m−12) / Σ MRR_m−12 (a churned one counts with 0).
    A rate with a zero denominator (or no month m−12) is NULL. `method` names the method and period.
    Small samples (metrics.md): a rate over fewer accounts than var retention_min_accounts (default
    30; the customers at the start of the month, or the cohort of twelve months earlier) is not
    reportable: NULL, with the reason in monthly_rates_reason / trailing_12m_reason, its numerator
    and denominator still published.
    A month with a customer of unknown MRR (mrr_monthly 'unknown') has NULL figures, not a partial
    sum, and says so in the reason. -#}
{%- set min_accounts = var('retention_min_accounts', 30) -%}
{%- set monthly_ok = 'movements.logos_start >= ' ~ min_accounts -%}
{%- set trailing_ok = 'coalesce(trailing_cohorts.cohort_logos_12m, 0) >= ' ~ min_accounts -%}
with

movements as (

    select * from {{ ref('mrr_movements_monthly') }}

),

mrr_monthly as (

    select * from {{ ref('mrr_monthly') }}

),

trailing_cohorts as (

    select
        current_month.month,
        count(*) filter (where base_month.mrr is null or current_month.mrr is null) as unknown_mrr,
        cast(count(*) as integer) as cohort_logos_12m,
        sum(base_month.mrr) as cohort_mrr_12m_ago,
        sum(current_month.mrr) as cohort_mrr_now,
        sum(case when current_month.mrr < base_month.mrr then current_month.mrr else base_month.mrr end)
            as cohort_retained_mrr_now
    from mrr_monthly as base_month
    inner join mrr_monthly as current_month
        on current_month.stripe_customer_id = base_month.stripe_customer_id
        and current_month.month = cast({{ dbt.dateadd('month', 12, 'base_month.month') }} as date)
    where base_month.mrr > 0 or base_month.mrr is null
    group by current_month.month

),

final as (

    select
        movements.month,
        cast({{ dbt.last_day('movements.month', 'month') }} as date) as period_end,
        movements.valuation_date,
        movements.reporting_currency,

        movements.logos_start,
        movements.logos_churned,
        case when {{ monthly_ok }} then {{ safe_ratio('movements.logos_churned', 'movements.logos_start') }} end
            as logo_churn_rate,
        case when {{ monthly_ok }} then {{ wilson_interval_low('movements.logos_churned', 'movements.logos_start') }} end
            as logo_churn_ci_low,
        case when {{ monthly_ok }} then {{ wilson_interval_high('movements.logos_churned', 'movements.logos_start') }} end
            as logo_churn_ci_high,

        movements.mrr_start,
        movements.expansion_mrr,
        movements.contraction_mrr,
        movements.churned_mrr,
        cast(movements.churned_mrr + movements.contraction_mrr as decimal(18, 2)) as gross_churned_mrr,
        case when {{ monthly_ok }} then
            {{ safe_ratio('movements.churned_mrr + movements.contraction_mrr', 'movements.mrr_start') }}
        end as gross_revenue_churn_rate,
        cast(movements.mrr_start + movements.expansion_mrr - movements.contraction_mrr - movements.churned_mrr
            as decimal(18, 2)) as nrr_1m_numerator,
        case when {{ monthly_ok }} then
            {{ safe_ratio('movements.mrr_start + movements.expansion_mrr - movements.contraction_mrr - movements.churned_mrr', 'movements.mrr_start') }}
        end as nrr_1m,
        cast(movements.mrr_start - movements.contraction_mrr - movements.churned_mrr as decimal(18, 2))
            as grr_1m_numerator,
        case when {{ monthly_ok }} then
            {{ safe_ratio('movements.mrr_start - movements.contraction_mrr - movements.churned_mrr', 'movements.mrr_start') }}
        end as grr_1m,
        case
            when movements.customers_mrr_unknown > 0 then 'mrr_unknown: ' || cast(movements.customers_mrr_unknown as {{ dbt.type_string() }})
                || ' customers of the month or the month before have MRR that is not known'
            when movements.logos_start = 0 then 'no customer had MRR > 0 at the end of the previous month'
            when not ({{ monthly_ok }}) then 'insufficient_sample: ' || cast(movements.logos_start as {{ dbt.type_string() }})
                || ' customers at the start of the month, fewer than {{ min_accounts }}'
        end as monthly_rates_reason,

        {%- set trailing = "case when trailing_cohorts.month is null then 0 when trailing_cohorts.unknown_mrr = 0 then trailing_cohorts.%s end" %}
        cast({{ trailing % 'cohort_logos_12m' }} as integer) as cohort_logos_12m,
        cast({{ trailing % 'cohort_mrr_12m_ago' }} as decimal(18, 2)) as nrr_12m_denominator,
        cast({{ trailing % 'cohort_mrr_now' }} as decimal(18, 2)) as nrr_12m_numerator,
        case when {{ trailing_ok }} then
            {{ safe_ratio(trailing % 'cohort_mrr_now', trailing % 'cohort_mrr_12m_ago') }}
        end as nrr_12m,
        cast({{ trailing % 'cohort_retained_mrr_now' }} as decimal(18, 2)) as grr_12m_numerator,
        case when {{ trailing_ok }} then
            {{ safe_ratio(trailing % 'cohort_retained_mrr_now', trailing % 'cohort_mrr_12m_ago') }}
        end as grr_12m,
        case
            when coalesce(trailing_cohorts.cohort_logos_12m, 0) = 0
                then 'no customer had MRR > 0 twelve months earlier'
            when trailing_cohorts.unknown_mrr > 0 then 'mrr_unknown: ' || cast(trailing_cohorts.unknown_mrr as {{ dbt.type_string() }})
                || ' customers of the cohort have MRR (then or now) that is not known'
            when not ({{ trailing_ok }}) then 'insufficient_sample: ' || cast(trailing_cohorts.cohort_logos_12m as {{ dbt.type_string() }})
                || ' customers twelve months earlier, fewer than {{ min_accounts }}'
        end as trailing_12m_reason,

        'logo churn: customers churned in the calendar month / customers with MRR > 0 at the end of the previous month (95% Wilson interval); '
        || 'revenue churn, NRR and GRR (1m): MRR movements of the calendar month against the end of the previous month, new and reactivation excluded; '
        || 'NRR and GRR (12m): customers with MRR > 0 at the end of the month 12 months earlier, their MRR now over their MRR then (GRR capped per customer at then); '
        || 'MRR valued at the end of each month, the as-of month at the end of the as-of date'
            as method
    from movements
    left join trailing_cohorts
        on trailing_cohorts.month = movements.month

)

select * from final
