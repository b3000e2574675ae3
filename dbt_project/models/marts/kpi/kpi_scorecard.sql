{#- KPI scorecard (metrics.md §10): each KPI for the latest complete calendar month, the latest
    complete calendar quarter and the trailing twelve months (the twelve months ending with the latest
    complete month), against its target (seed kpi_targets), with the value of the period before
    (the month, quarter or twelve months before), the change, the sample size, the interval where the
    value is estimated from a sample, and the registry entry of the metric it reads.
    A period is complete when its last day is on or before the as-of date.
    Revenue retention KPIs are trailing-twelve-month rates: for a period they are measured at the end
    of its last month (revenue_retention_monthly.grr_12m / nrr_12m, every paying customer counted, so
    no sampling interval). Portfolio mean health is the mean score over the accounts scored on the
    period's last day with health rows, over the paying accounts of the live book (trialing accounts
    are a segment of their own, metrics.md population, and not in this figure; churned and never-paid
    accounts are not scored; paying accounts without a score are left out and counted).
    NPS: the quarter's and the month's rows of nps_summary (all segments, with their adjusted-Wald
    interval); for the trailing twelve months the monthly counts added up, NULL below the minimum
    number of responses (kpi_targets.min_sample, as config/nps.yml min_responses).
    Onboarding completion: accounts whose program window ended in the period, completed when every
    required step was done by its end (Wilson interval). Time to first value: the median over the
    accounts that reached first value in the period. Both read the latest onboarding_progress snapshot. A value the data does not support is NULL with the reason, and the status is
    'not reportable'. -#}
{#- A bound of the adjusted-Wald 95% NPS interval in points, clipped to ±100 (as transforms/stats.py
    nps_interval_exprs): p′ = (P + 0.75)/(n + 3), d′ = (D + 0.75)/(n + 3), NPS′ = p′ − d′,
    Var′ = (p′ + d′ − NPS′²)/(n + 3); bound = 100·(NPS′ ± 1.96·√Var′). -#}
{%- set nps_p -%}((cast(twelve.promoters as {{ type_double() }}) + 0.75) / (twelve.responses + 3)){%- endset -%}
{%- set nps_d -%}((cast(twelve.detractors as {{ type_double() }}) + 0.75) / (twelve.responses + 3)){%- endset -%}
{%- set nps_half_width -%}
    1.96 * sqrt(({{ nps_p }} + {{ nps_d }} - ({{ nps_p }} - {{ nps_d }}) * ({{ nps_p }} - {{ nps_d }})) / (twelve.responses + 3))
{%- endset %}
with

targets as (

    select * from {{ ref('kpi_targets') }}

),

retention as (

    select * from {{ ref('revenue_retention_monthly') }}

),

health as (

    {#- the paying accounts of the live book (metrics.md, population: trialing accounts are their own
        segment); a churned account's terminal row is not part of the portfolio -#}
    select * from {{ ref('health_scores_daily') }}
    where customer_status = 'paying'

),

nps as (

    select * from {{ ref('nps_summary') }} where segment = 'all'

),

onboarding as (

    {#- the latest snapshot holds every onboarding account with its window and first-value day -#}
    select * from {{ ref('onboarding_progress') }}
    where as_of_date = (select max(as_of_date) from {{ ref('onboarding_progress') }})

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
            when retention.trailing_12m_reason is not null then retention.trailing_12m_reason
            when retention.nrr_12m_denominator = 0 then 'the customers of twelve months earlier had no MRR'
        end as not_reportable_reason
    from targets
    cross join periods
    left join retention
        on retention.month = periods.last_month
    where targets.kpi in ('gross_revenue_retention_12m', 'net_revenue_retention_12m')

),

health_days as (

    {#- the last day of each period with health rows: the portfolio as the period ended -#}
    select
        periods.period_type,
        periods.period_role,
        max(health.as_of_date) as scored_day
    from periods
    inner join health
        on health.as_of_date between periods.period_start and periods.period_end
    group by periods.period_type, periods.period_role

),

health_observations as (

    select
        targets.kpi,
        periods.period_type,
        periods.period_role,
        periods.period_start,
        periods.period_end,
        {#- summed in account order: a parallel float sum can differ in its last bits run to run -#}
        {{ csw_ordered_sum('health.score', 'health.account_id') }} / count(health.score) as value,
        {{ csw_ordered_sum('health.score', 'health.account_id') }} as numerator,
        cast(count(health.score) as {{ type_double() }}) as denominator,
        cast(count(health.score) as integer) as sample_size,
        'paying accounts of the live book with a health score on '
            || coalesce(cast(max(health_days.scored_day) as {{ dbt.type_string() }}), 'no day')
            || ' (trialing accounts are their own segment, not counted here; paying accounts below minimum coverage have no score and are left out: '
            || cast(count(health.account_id) - count(health.score) as {{ dbt.type_string() }}) || ')'
            as sample_unit,
        cast(null as {{ type_double() }}) as interval_low,
        cast(null as {{ type_double() }}) as interval_high,
        'none: every scored account is counted, no sampling' as interval_method,
        case
            when max(health_days.scored_day) is null then 'no health score on any day of the period'
            when count(health.score) = 0 then 'no account had enough data for a health score on the period''s last scored day'
        end as not_reportable_reason
    from targets
    cross join periods
    left join health_days
        on health_days.period_type = periods.period_type
        and health_days.period_role = periods.period_role
    left join health
        on health.as_of_date = health_days.scored_day
    where targets.kpi = 'portfolio_mean_health_score'
    group by targets.kpi, periods.period_type, periods.period_role, periods.period_start, periods.period_end

),

nps_twelve_months as (

    {#- NPS over the trailing twelve months: the monthly counts of the twelve months added up -#}
    select
        periods.period_role,
        sum(nps.promoters) as promoters,
        sum(nps.detractors) as detractors,
        sum(nps.responses) as responses,
        count(nps.period_start) as months_with_surveys
    from periods
    left join nps
        on nps.period_type = 'month'
        and nps.period_start between periods.period_start and periods.period_end
    where periods.period_type = 'trailing_12_months'
    group by periods.period_role

),

nps_observations as (

    select
        targets.kpi,
        periods.period_type,
        periods.period_role,
        periods.period_start,
        periods.period_end,
        case
            when periods.period_type = 'trailing_12_months' and twelve.responses >= targets.min_sample
                then cast(100 as {{ type_double() }}) * (twelve.promoters - twelve.detractors) / twelve.responses
            else nps.nps
        end as value,
        cast(coalesce(nps.promoters - nps.detractors, twelve.promoters - twelve.detractors) as {{ type_double() }})
            as numerator,
        cast(coalesce(nps.responses, twelve.responses) as {{ type_double() }}) as denominator,
        cast(coalesce(nps.responses, twelve.responses) as integer) as sample_size,
        'survey responses submitted in the period (all segments)' as sample_unit,
        case
            when periods.period_type = 'trailing_12_months' and twelve.responses >= targets.min_sample
                then greatest(100 * ({{ nps_p }} - {{ nps_d }} - {{ nps_half_width }}), -100.0)
            else nps.nps_ci_low
        end as interval_low,
        case
            when periods.period_type = 'trailing_12_months' and twelve.responses >= targets.min_sample
                then least(100 * ({{ nps_p }} - {{ nps_d }} + {{ nps_half_width }}), 100.0)
            else nps.nps_ci_high
        end as interval_high,
        'adjusted Wald 95% (n + 3, 0.75 added to promoters and detractors), clipped to ±100' as interval_method,
        case
            when periods.period_type = 'trailing_12_months' and coalesce(twelve.responses, 0) < targets.min_sample
                then 'insufficient_sample: ' || cast(coalesce(twelve.responses, 0) as {{ dbt.type_string() }})
                    || ' responses in the twelve months, fewer than ' || cast(targets.min_sample as {{ dbt.type_string() }})
            when periods.period_type <> 'trailing_12_months' and nps.period_start is null
                then 'no NPS survey response in the period'
            when periods.period_type <> 'trailing_12_months' and nps.nps is null
                then coalesce(nps.reason, 'not reportable') || ': ' || cast(nps.responses as {{ dbt.type_string() }})
                    || ' responses, fewer than ' || cast(targets.min_sample as {{ dbt.type_string() }})
        end as not_reportable_reason
    from targets
    cross join periods
    left join nps
        on nps.period_type = periods.period_type
        and nps.period_start = periods.period_start
    left join nps_twelve_months as twelve
        on periods.period_type = 'trailing_12_months'
        and twelve.period_role = periods.period_role
    where targets.kpi = 'nps'

),

onboarding_observations as (

    select
        targets.kpi,
        periods.period_type,
        periods.period_role,
        periods.period_start,
        periods.period_end,
        case targets.kpi
            when 'onboarding_completion' then {{ safe_ratio(
                'count(case when onboarding.window_end between periods.period_start and periods.period_end and onboarding.completed_in_window then 1 end)',
                'count(case when onboarding.window_end between periods.period_start and periods.period_end then 1 end)') }}
            when 'time_to_first_value_median' then median(case
                when onboarding.first_value_on between periods.period_start and periods.period_end
                    then onboarding.time_to_first_value_days end)
        end as value,
        cast(case targets.kpi
            when 'onboarding_completion' then count(case
                when onboarding.window_end between periods.period_start and periods.period_end
                    and onboarding.completed_in_window then 1 end)
        end as {{ type_double() }}) as numerator,
        cast(case targets.kpi
            when 'onboarding_completion' then count(case
                when onboarding.window_end between periods.period_start and periods.period_end then 1 end)
        end as {{ type_double() }}) as denominator,
        cast(case targets.kpi
            when 'onboarding_completion' then count(case
                when onboarding.window_end between periods.period_start and periods.period_end then 1 end)
            when 'time_to_first_value_median' then count(case
                when onboarding.first_value_on between periods.period_start and periods.period_end then 1 end)
        end as integer) as sample_size,
        case targets.kpi
            when 'onboarding_completion'
                then 'accounts whose onboarding window ended in the period (completed: every required step done by its end)'
            else 'accounts that reached first value in the period (the median of their days from onboarding start)'
        end as sample_unit,
        case targets.kpi
            when 'onboarding_completion' then {{ wilson_interval_low(
                'count(case when onboarding.window_end between periods.period_start and periods.period_end and onboarding.completed_in_window then 1 end)',
                'count(case when onboarding.window_end between periods.period_start and periods.period_end then 1 end)') }}
        end as interval_low,
        case targets.kpi
            when 'onboarding_completion' then {{ wilson_interval_high(
                'count(case when onboarding.window_end between periods.period_start and periods.period_end and onboarding.completed_in_window then 1 end)',
                'count(case when onboarding.window_end between periods.period_start and periods.period_end then 1 end)') }}
        end as interval_high,
        case targets.kpi
            when 'onboarding_completion' then 'Wilson 95%'
            else 'none: every account that reached first value in the period is counted'
        end as interval_method,
        case
            when targets.kpi = 'onboarding_completion' and count(case
                when onboarding.window_end between periods.period_start and periods.period_end then 1 end) = 0
                then 'no onboarding window ended in the period'
            when targets.kpi = 'time_to_first_value_median' and count(case
                when onboarding.first_value_on between periods.period_start and periods.period_end then 1 end) = 0
                then 'no account reached first value in the period'
        end as not_reportable_reason
    from targets
    cross join periods
    left join onboarding
        on true
    where targets.kpi in ('onboarding_completion', 'time_to_first_value_median')
    group by targets.kpi, periods.period_type, periods.period_role, periods.period_start, periods.period_end

),

playbook_months as (

    {#- the save-playbook actions of every CSM together (metrics.md §12) -#}
    select * from {{ ref('playbook_completion_monthly') }} where scope = 'all'

),

playbook_observations as (

    {#- Playbook completion: the period's months' counts added up, NULL below the minimum number of
        actions due (kpi_targets.min_sample, as config/risk_cases.yml completion.min_actions) -#}
    select
        targets.kpi,
        periods.period_type,
        periods.period_role,
        periods.period_start,
        periods.period_end,
        case when coalesce(sum(playbook_months.actions_due), 0) >= targets.min_sample
            then {{ safe_ratio('sum(playbook_months.actions_done_by_due)', 'sum(playbook_months.actions_due)') }}
        end as value,
        cast(coalesce(sum(playbook_months.actions_done_by_due), 0) as {{ type_double() }}) as numerator,
        cast(coalesce(sum(playbook_months.actions_due), 0) as {{ type_double() }}) as denominator,
        cast(coalesce(sum(playbook_months.actions_due), 0) as integer) as sample_size,
        'save-playbook actions (cs_tasks) due in the period, every CSM' as sample_unit,
        case when coalesce(sum(playbook_months.actions_due), 0) >= targets.min_sample
            then {{ wilson_interval_low('sum(playbook_months.actions_done_by_due)', 'sum(playbook_months.actions_due)') }}
        end as interval_low,
        case when coalesce(sum(playbook_months.actions_due), 0) >= targets.min_sample
            then {{ wilson_interval_high('sum(playbook_months.actions_done_by_due)', 'sum(playbook_months.actions_due)') }}
        end as interval_high,
        'Wilson 95%' as interval_method,
        case when coalesce(sum(playbook_months.actions_due), 0) < targets.min_sample
            then 'insufficient_sample: ' || cast(coalesce(sum(playbook_months.actions_due), 0) as {{ dbt.type_string() }})
                || ' actions due in the period, fewer than ' || cast(targets.min_sample as {{ dbt.type_string() }})
        end as not_reportable_reason
    from targets
    cross join periods
    left join playbook_months
        on playbook_months.month between periods.period_start and periods.period_end
    where targets.kpi = 'playbook_completion'
    group by targets.kpi, targets.min_sample, periods.period_type, periods.period_role, periods.period_start, periods.period_end

),

observations as (

    select * from playbook_observations
    union all
    select * from revenue_observations
    union all
    select * from health_observations
    union all
    select * from nps_observations
    union all
    select * from onboarding_observations

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
            -- metrics.md, small samples: a KPI on a sample below its minimum is insufficient_sample
            when current_period.value is null
                and current_period.not_reportable_reason like 'insufficient_sample%' then 'insufficient_sample'
            when current_period.value is null then 'not reportable'
            when targets.target_operator = '>' and current_period.value > targets.target_value then 'met'
            when targets.target_operator = '<' and current_period.value < targets.target_value then 'met'
            else 'not met'
        end as status,
        case
            when current_period.value is null
                then coalesce(current_period.not_reportable_reason, 'no value for the period')
        end as status_reason,
        {#- the §16 levels below the target, for the KPIs that have them (seed kpi_alert_levels) -#}
        case
            when current_period.value < alert_levels.critical_below then 'critical'
            when current_period.value < alert_levels.warning_below then 'warning'
        end as alert_level,
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
    left join {{ ref('kpi_alert_levels') }} as alert_levels
        on alert_levels.kpi = targets.kpi
    inner join observations as previous_period
        on previous_period.kpi = targets.kpi
        and previous_period.period_type = current_period.period_type
        and previous_period.period_role = 'previous'

)

select * from final
