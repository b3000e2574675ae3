{#- The renewal forecast per term-end month, for all renewals and per CSM (metrics.md §11). Each
    renewal is forecast on forecast_made_on = min(term end − 60 days, as-of date) with what was known
    that day: its health grade then (the band) and the band's MRR renewal rate over the renewals of
    the 24 months before that day whose outcome had been measured by then, each in the band of its own
    grade 60 days before its term end: Σ min(MRR after, MRR before) / Σ MRR before. A band rated from
    fewer than var('renewal_forecast_min_renewals') renewals has no rate. expected_mrr_kept =
    Σ MRR due × rate, NULL with forecast_reason when a renewal has no grade or no rate (the rated
    part is published beside it); once every outcome is known the actual MRR kept and the forecast
    error are published beside the forecast. -#}
with

all_renewals as (

    select * from {{ ref('int_renewals_with_outcomes') }}

),

accounts as (

    select account_id, csm_id, csm_name, reporting_currency from {{ ref('dim_accounts') }}

),

targets as (

    select
        all_renewals.*,
        accounts.csm_id,
        accounts.csm_name
    from all_renewals
    left join accounts
        on accounts.account_id = all_renewals.account_id
    where all_renewals.term_end > cast({{ dbt.dateadd('month', -24, as_of_date()) }} as date)
        and all_renewals.term_end <= cast({{ dbt.dateadd('day', 180, as_of_date()) }} as date)

),

history as (

    select term_end, outcome_measured_on, health_grade_60d_out, mrr_before, mrr_kept
    from all_renewals
    where outcome is not null
        and health_grade_60d_out is not null

),

band_rates as (

    select
        targets.renewal_id,
        cast(count(history.term_end) as integer) as band_renewals,
        sum(history.mrr_kept) as band_mrr_kept,
        sum(history.mrr_before) as band_mrr_due
    from targets
    left join history
        on history.health_grade_60d_out = targets.forecast_health_grade
        and history.outcome_measured_on <= targets.forecast_made_on
        and history.term_end > cast({{ dbt.dateadd('month', -24, 'targets.forecast_made_on') }} as date)
    where targets.forecast_health_grade is not null
    group by targets.renewal_id

),

per_renewal as (

    select
        targets.*,
        band_rates.band_renewals,
        case
            when band_rates.band_renewals >= {{ var('renewal_forecast_min_renewals') }}
                and band_rates.band_mrr_due > 0
                then cast(band_rates.band_mrr_kept as double) / cast(band_rates.band_mrr_due as double)
        end as band_rate,
        case
            when targets.mrr_before is null then 'mrr_unknown'
            when targets.forecast_health_grade is null then 'no_health_grade'
            when band_rates.band_renewals < {{ var('renewal_forecast_min_renewals') }}
                or not band_rates.band_mrr_due > 0
                then 'insufficient_sample: band ' || targets.forecast_health_grade
        end as unrated_reason
    from targets
    left join band_rates
        on band_rates.renewal_id = targets.renewal_id

),

scoped as (

    select 'all' as scope, cast(null as string) as scope_csm_id, cast(null as string) as scope_csm_name, *
    from per_renewal
    union all
    select
        case when csm_id is null then 'unassigned' else 'csm' end as scope,
        csm_id as scope_csm_id,
        csm_name as scope_csm_name,
        *
    from per_renewal

),

reasons as (

    select
        term_end_month,
        scope,
        scope_csm_id,
        {{ csw_string_agg("unrated_reason || ' (' || renewals || ')'", "'; '", order_by='unrated_reason') }}
            as forecast_reason
    from (
        select term_end_month, scope, scope_csm_id, unrated_reason, count(*) as renewals
        from scoped
        where unrated_reason is not null
        group by term_end_month, scope, scope_csm_id, unrated_reason
    ) as counted
    group by term_end_month, scope, scope_csm_id

),

grouped as (

    select
        term_end_month as month,
        scope,
        scope_csm_id as csm_id,
        max(scope_csm_name) as csm_name,
        min(forecast_made_on) as forecast_made_from,
        max(forecast_made_on) as forecast_made_to,
        cast(count(*) as integer) as renewals_due,
        sum(mrr_before) as mrr_due,
        cast(count(*) filter (where unrated_reason is null) as integer) as renewals_rated,
        sum(mrr_before) filter (where unrated_reason is null) as mrr_due_rated,
        sum(mrr_before * band_rate) filter (where unrated_reason is null) as expected_mrr_kept_rated,
        cast(count(*) filter (where outcome is null) as integer) as renewals_without_outcome,
        sum(mrr_kept) as actual_mrr_kept_all,
        sum(mrr_kept) filter (where unrated_reason is null) as actual_mrr_kept_rated_all
    from scoped
    group by term_end_month, scope, scope_csm_id

),

final as (

    select
        grouped.month,
        grouped.scope,
        grouped.csm_id,
        grouped.csm_name,
        (select max(reporting_currency) from accounts) as reporting_currency,
        grouped.forecast_made_from,
        grouped.forecast_made_to,
        grouped.renewals_due,
        cast(grouped.mrr_due as decimal(18, 2)) as mrr_due,
        grouped.renewals_rated,
        cast(coalesce(grouped.mrr_due_rated, 0) as decimal(18, 2)) as mrr_due_rated,
        cast(coalesce(grouped.expected_mrr_kept_rated, 0) as decimal(18, 2)) as expected_mrr_kept_rated,
        case when grouped.renewals_rated = grouped.renewals_due
            then cast(grouped.expected_mrr_kept_rated as decimal(18, 2)) end as expected_mrr_kept,
        reasons.forecast_reason,
        grouped.renewals_without_outcome = 0 as outcomes_complete,
        case when grouped.renewals_without_outcome = 0
            then cast(grouped.actual_mrr_kept_all as decimal(18, 2)) end as actual_mrr_kept,
        case when grouped.renewals_without_outcome = 0 and grouped.renewals_rated = grouped.renewals_due
            then cast(grouped.expected_mrr_kept_rated - grouped.actual_mrr_kept_all as decimal(18, 2))
        end as forecast_error,
        case when grouped.renewals_without_outcome = 0 and grouped.renewals_rated = grouped.renewals_due
                and grouped.actual_mrr_kept_all > 0
            then cast(grouped.expected_mrr_kept_rated - grouped.actual_mrr_kept_all as double)
                / cast(grouped.actual_mrr_kept_all as double)
        end as forecast_error_relative,
        case when grouped.renewals_without_outcome = 0 and grouped.renewals_rated > 0
            then cast(grouped.actual_mrr_kept_rated_all as decimal(18, 2)) end as actual_mrr_kept_rated,
        case when grouped.renewals_without_outcome = 0 and grouped.renewals_rated > 0
            then cast(grouped.expected_mrr_kept_rated - grouped.actual_mrr_kept_rated_all as decimal(18, 2))
        end as forecast_error_rated,
        case
            when grouped.renewals_without_outcome > 0
                then 'outcome_pending: ' || grouped.renewals_without_outcome || ' of '
                    || grouped.renewals_due || ' renewals without an outcome (pending, or MRR unknown)'
        end as error_reason
    from grouped
    left join reasons
        on reasons.term_end_month = grouped.month
        and reasons.scope = grouped.scope
        and reasons.scope_csm_id is not distinct from grouped.csm_id

)

select * from final
