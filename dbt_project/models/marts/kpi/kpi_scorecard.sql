{#- KPI scorecard (metrics.md §10): each KPI for the latest complete calendar month, the latest
    complete calendar quarter and the trailing twelve months (the twelve months ending with the latest
    complete month), against its target (seed kpi_targets), with the value of the period before
    (the month, quarter or twelve months before), the change, the sample size, the interval where the
    value is estimated from a sample, and the registry entry of the metric it reads.
    A period is complete when its last day is on or before the as-of date.
    Revenue retention KPIs are trailing-twelve-month rates: for a period they are measured at the end
    of its last month (revenue_retention_monthly.grr_12m / nrr_12m, every paying customer counted, so
    no sampling interval). A value the data does not support is NULL with the reason, and the status is
    'not reportable'. -#}
with

targets as (

    select * from {{ ref('kpi_targets') }}

),

retention as (

    select * from {{ ref('revenue_retention_monthly') }}

),

anchors as (

    select
        cast({{ dbt.dateadd('month', -1, dbt.date_trunc('month', dbt.dateadd('day', 1, as_of_date()))) }} as date)
            as latest_month_start,
        cast({{ dbt.dateadd('month', -3, dbt.date_trunc('quarter', dbt.dateadd('day', 1, as_of_date()))) }} as date)
            as latest_quarter_start

),

period_starts as (

    select 'month' as period_type, 'current' as period_role, latest_month_start as period_start, 1 as period_months from anchors
    union all
    select 'month', 'previous', cast({{ dbt.dateadd('month', -1, 'latest_month_start') }} as date), 1 from anchors
    union all
    select 'quarter', 'current', latest_quarter_start, 3 from anchors
    union all
    select 'quarter', 'previous', cast({{ dbt.dateadd('month', -3, 'latest_quarter_start') }} as date), 3 from anchors
    union all
    select 'trailing_12_months', 'current', cast({{ dbt.dateadd('month', -11, 'latest_month_start') }} as date), 12
    from anchors
    union all
    select 'trailing_12_months', 'previous', cast({{ dbt.dateadd('month', -23, 'latest_month_start') }} as date), 12
    from anchors

),

periods as (

    select
        period_type,
        period_role,
        period_start,
        cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 'period_months', 'period_start')) }} as date) as period_end,
        cast({{ dbt.dateadd('month', 'period_months - 1', 'period_start') }} as date) as last_month
    from period_starts

),

revenue_observations as (

    select
        targets.kpi,
        periods.period_type,
        periods.period_role,
        periods.period_start,
        periods.period_end,
        case targets.kpi
            when 'gross_revenue_retention_12m' then retention.grr_12m
            when 'net_revenue_retention_12m' then retention.nrr_12m
        end as value,
        cast(case targets.kpi
            when 'gross_revenue_retention_12m' then retention.grr_12m_numerator
            when 'net_revenue_retention_12m' then retention.nrr_12m_numerator
        end as {{ type_double() }}) as numerator,
        cast(retention.nrr_12m_denominator as {{ type_double() }}) as denominator,
        retention.cohort_logos_12m as sample_size,
        'paying customers 12 months before the end of the period' as sample_unit,
        cast(null as {{ type_double() }}) as interval_low,
        cast(null as {{ type_double() }}) as interval_high,
        'none: every paying customer is counted, no sampling' as interval_method,
        case
            when retention.month is null
                then 'no revenue data for ' || cast(periods.last_month as {{ dbt.type_string() }})
            when retention.cohort_logos_12m = 0
                then 'no customer had MRR > 0 twelve months before the end of the period'
            when retention.nrr_12m_denominator = 0 then 'the customers of twelve months earlier had no MRR'
        end as not_reportable_reason
    from targets
    cross join periods
    left join retention
        on retention.month = periods.last_month
    where targets.kpi in ('gross_revenue_retention_12m', 'net_revenue_retention_12m')

),

observations as (

    select * from revenue_observations

),

final as (

    select
        targets.kpi,
        targets.label,
        current_period.period_type,
        current_period.period_start,
        current_period.period_end,
        {{ as_of_date() }} as as_of_date,
        current_period.value,
        targets.unit,
        targets.target_operator,
        targets.target_value,
        targets.target_operator || ' ' || cast(targets.target_value as {{ dbt.type_string() }})
            as target,
        case
            when current_period.value is null then 'not reportable'
            when targets.target_operator = '>' and current_period.value > targets.target_value then 'met'
            when targets.target_operator = '<' and current_period.value < targets.target_value then 'met'
            else 'not met'
        end as status,
        case
            when current_period.value is null
                then coalesce(current_period.not_reportable_reason, 'no value for the period')
        end as status_reason,
        current_period.numerator,
        current_period.denominator,
        current_period.sample_size,
        current_period.sample_unit,
        current_period.interval_low,
        current_period.interval_high,
        current_period.interval_method,
        previous_period.period_start as previous_period_start,
        previous_period.period_end as previous_period_end,
        previous_period.value as previous_value,
        previous_period.sample_size as previous_sample_size,
        case when previous_period.value is null then previous_period.not_reportable_reason end
            as previous_not_reportable_reason,
        current_period.value - previous_period.value as change,
        targets.registry_entry,
        targets.period_rule,
        targets.version as target_version
    from targets
    inner join observations as current_period
        on current_period.kpi = targets.kpi
        and current_period.period_role = 'current'
    inner join observations as previous_period
        on previous_period.kpi = targets.kpi
        and previous_period.period_type = current_period.period_type
        and previous_period.period_role = 'previous'

)

select * from final
