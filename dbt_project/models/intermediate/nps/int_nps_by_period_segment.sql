{#- NPS per period (month, quarter) × segment (`all` and each account segment), computed straight
    from the staged responses: the second, independent implementation of metrics.md §7 that the
    publish gate compares with marts.nps_summary (validation rule 1). It shares no code with
    transforms/nps.py. A response belongs to the calendar month and quarter of submitted_at (UTC);
    responses submitted after the end of the as-of date are left out; a response whose account app_db
    never had is an orphan, left out of every segment and of `all` (rule 7 counts them); an account
    deleted since keeps its segment. Only periods with responses get a row. -#}
with

responses as (

    select
        responses.score,
        responses.submitted_at,
        accounts.segment
    from {{ ref('stg_app_db__nps_responses') }} as responses
    inner join {{ ref('stg_app_db__accounts_with_deleted') }} as accounts
        on accounts.account_id = responses.account_id
    where responses.submitted_at < cast({{ as_of_date() }} + interval '1 day' as {{ dbt.type_timestamp() }})

),

in_periods as (

    select
        'month' as period_type,
        cast({{ dbt.date_trunc('month', 'submitted_at') }} as date) as period_start,
        segment,
        score
    from responses

    union all

    select
        'quarter' as period_type,
        cast({{ dbt.date_trunc('quarter', 'submitted_at') }} as date) as period_start,
        segment,
        score
    from responses

),

in_segments as (

    select period_type, period_start, segment, score from in_periods

    union all

    select period_type, period_start, 'all' as segment, score from in_periods

),

counted as (

    select
        period_type,
        period_start,
        segment,
        cast(count(*) as bigint) as responses,
        cast(sum(case when score >= 9 then 1 else 0 end) as bigint) as promoters,
        cast(sum(case when score in (7, 8) then 1 else 0 end) as bigint) as passives,
        cast(sum(case when score <= 6 then 1 else 0 end) as bigint) as detractors
    from in_segments
    group by period_type, period_start, segment

)

select
    period_type,
    period_start,
    segment,
    responses,
    promoters,
    passives,
    detractors,
    cast(100 as double) * (promoters - detractors) / responses as nps
from counted
