{#- Revenue cohorts (metrics.md §1): the cohort of a billing customer is the month of its first
    MRR > 0, so every paying customer is in exactly one cohort. For each cohort and each month k
    months after it (k = 0 … the as-of month): cohort size, active logos (MRR > 0), logo retention
    with a 95% Wilson interval, cohort MRR, revenue retention Σ MRR_k / Σ MRR_0 and GRR-style
    retention Σ min(MRR_k, MRR_0) / Σ MRR_0. A cohort month with a member of unknown MRR
    (mrr_monthly 'unknown') has NULL MRR figures, not a partial sum. -#}
with

mrr_monthly as (

    select * from {{ ref('mrr_monthly') }}

),

starting_mrr as (

    select
        stripe_customer_id,
        first_paid_month as cohort_month,
        mrr as starting_mrr
    from mrr_monthly
    where month = first_paid_month

),

cohort_months as (

    select
        starting_mrr.cohort_month,
        mrr_monthly.month,
        cast({{ dbt.datediff('starting_mrr.cohort_month', 'mrr_monthly.month', 'month') }} as integer)
            as months_since_start,
        cast(count(*) as integer) as cohort_size,
        cast(case when count(*) filter (where mrr_monthly.mrr is null) = 0
            then count(case when mrr_monthly.mrr > 0 then 1 end) end as integer) as active_logos,
        sum(starting_mrr.starting_mrr) as cohort_starting_mrr,
        case when count(*) filter (where mrr_monthly.mrr is null) = 0
            then sum(mrr_monthly.mrr) end as cohort_mrr,
        case when count(*) filter (where mrr_monthly.mrr is null) = 0
            then sum(case when mrr_monthly.mrr < starting_mrr.starting_mrr then mrr_monthly.mrr
                else starting_mrr.starting_mrr end) end as cohort_retained_mrr
    from starting_mrr
    inner join mrr_monthly
        on mrr_monthly.stripe_customer_id = starting_mrr.stripe_customer_id
    group by starting_mrr.cohort_month, mrr_monthly.month

),

final as (

    select
        cohort_month,
        month,
        months_since_start,
        cohort_size,
        active_logos,
        case when cohort_size >= {{ var('retention_min_accounts', 30) }} then
            {{ safe_ratio('active_logos', 'cohort_size') }} end as logo_retention,
        case when cohort_size >= {{ var('retention_min_accounts', 30) }} then
            {{ wilson_interval_low('active_logos', 'cohort_size') }} end as logo_retention_ci_low,
        case when cohort_size >= {{ var('retention_min_accounts', 30) }} then
            {{ wilson_interval_high('active_logos', 'cohort_size') }} end as logo_retention_ci_high,
        cast(cohort_starting_mrr as decimal(18, 2)) as cohort_starting_mrr,
        cast(cohort_mrr as decimal(18, 2)) as cohort_mrr,
        cast(cohort_retained_mrr as decimal(18, 2)) as cohort_retained_mrr,
        case when cohort_size >= {{ var('retention_min_accounts', 30) }} then
            {{ safe_ratio('cohort_mrr', 'cohort_starting_mrr') }} end as revenue_retention,
        case when cohort_size >= {{ var('retention_min_accounts', 30) }} then
            {{ safe_ratio('cohort_retained_mrr', 'cohort_starting_mrr') }} end as gross_revenue_retention,
        -- small samples (metrics.md): a cohort below the minimum is not reportable
        case when cohort_size < {{ var('retention_min_accounts', 30) }} then
            'insufficient_sample: ' || cast(cohort_size as {{ dbt.type_string() }})
            || ' accounts in the cohort, fewer than {{ var('retention_min_accounts', 30) }}'
        end as retention_reason
    from cohort_months

)

select * from final
