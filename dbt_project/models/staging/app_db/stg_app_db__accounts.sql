{#- One row per customer account that exists at the as-of date: the newest version of every
    account (stg_app_db__accounts_with_deleted) whose newest version does not carry deleted_at (deleted
    at the source: left out). -#}
select * except (deleted_at)
from {{ ref('stg_app_db__accounts_with_deleted') }}
where deleted_at is null
