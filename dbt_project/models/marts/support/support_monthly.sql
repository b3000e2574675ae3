{#- Support per account × month from transforms.support_monthly (transforms/support.py
    support_monthly), typed. -#}
select
    cast(account_id as string) as account_id,
    cast(month_start as date) as month_start,
    cast(month_end as date) as month_end,
    cast(tickets_created as bigint) as tickets_created,
    cast(open_at_month_end as bigint) as open_at_month_end,
    cast(tickets_solved as bigint) as tickets_solved,
    cast(escalated as bigint) as escalated,
    cast(high_urgent as bigint) as high_urgent,
    cast(first_reply_minutes_median as double) as first_reply_minutes_median,
    cast(first_reply_n as bigint) as first_reply_n,
    cast(full_resolution_minutes_median as double) as full_resolution_minutes_median,
    cast(full_resolution_n as bigint) as full_resolution_n,
    cast(csat_mean as double) as csat_mean,
    cast(csat_rating_n as bigint) as csat_rating_n,
    cast(csat_good as bigint) as csat_good,
    cast(csat_bad as bigint) as csat_bad,
    cast(csat_satisfied_share as double) as csat_satisfied_share,
    cast(csat_satisfied_share_ci_low as double) as csat_satisfied_share_ci_low,
    cast(csat_satisfied_share_ci_high as double) as csat_satisfied_share_ci_high,
    cast(competitor_mentions as bigint) as competitor_mentions,
    cast(competitors_mentioned as {{ csw_string_list_type() }}) as competitors_mentioned,
    cast(config_version as string) as config_version
from {{ source('transforms', 'support_monthly') }}
