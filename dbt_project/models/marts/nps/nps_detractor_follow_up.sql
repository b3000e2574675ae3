{#- Detractor follow-up from transforms.nps_detractor_follow_up (transforms/nps.py
    detractor_follow_up), typed, with each period's last day. -#}
select
    cast(period_type as string) as period_type,
    cast(period_start as date) as period_start,
    cast(case when period_type = 'month'
        then {{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'period_start')) }}
        else {{ dbt.dateadd('day', -1, dbt.dateadd('month', 3, 'period_start')) }}
    end as date) as period_end,
    cast(segment as string) as segment,
    cast(detractors as bigint) as detractors,
    cast(pending as bigint) as pending,
    cast(followed_up_in_time as bigint) as followed_up_in_time,
    cast(eligible as bigint) as eligible,
    cast(follow_up_rate as double) as follow_up_rate,
    cast(follow_up_rate_ci_low as double) as follow_up_rate_ci_low,
    cast(follow_up_rate_ci_high as double) as follow_up_rate_ci_high,
    cast(reason as string) as reason
from {{ source('transforms', 'nps_detractor_follow_up') }}
