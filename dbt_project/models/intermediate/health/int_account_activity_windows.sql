{#- The days on which a user (kind `user`, any event) or a feature (kind `feature`, feature_used
    events) counts as used "in the last 30 days" for its account: each run of use days closer than
    30 days apart becomes one window [first use, last use + 29]. Windows of one key never overlap,
    so the number of distinct users or features used in the 30 days ending on day t is the number of
    windows covering t — a range join instead of a distinct count over a sliding window. The use
    days come stored from int_account_use_days (one statement for both ran out of memory at 100k). -#}
with

use_days as (

    select * from {{ ref('int_account_use_days') }}

),

runs as (

    select
        *,
        case
            when {{ dbt.datediff(
                'lag(used_on) over (partition by account_id, usage_kind, usage_key order by used_on)',
                'used_on', 'day') }} < 30 then 0
            else 1
        end as starts_run
    from use_days

),

numbered as (

    select
        *,
        sum(starts_run) over (
            partition by account_id, usage_kind, usage_key order by used_on rows unbounded preceding
        ) as run_number
    from runs

),

windows as (

    select
        account_id,
        usage_kind,
        usage_key,
        min(used_on) as window_start,
        cast({{ dbt.dateadd('day', 29, 'max(used_on)') }} as date) as window_end
    from numbered
    group by account_id, usage_kind, usage_key, run_number

)

select * from windows
