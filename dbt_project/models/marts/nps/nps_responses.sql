{#- Survey responses from transforms.nps_responses (transforms/nps.py nps_responses): comments are
    redacted to [email] there; typed here. -#}
select
    cast(response_id as string) as response_id,
    cast(send_id as string) as send_id,
    cast(account_id as string) as account_id,
    cast(user_id as string) as user_id,
    cast(segment as string) as segment,
    cast(score as bigint) as score,
    cast(category as string) as category,
    cast(comment as string) as comment,
    cast(submitted_at as {{ dbt.type_timestamp() }}) as submitted_at,
    cast(followed_up_at as {{ dbt.type_timestamp() }}) as followed_up_at,
    cast(month_start as date) as month_start,
    cast(quarter_start as date) as quarter_start
from {{ source('transforms', 'nps_responses') }}
