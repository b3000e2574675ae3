{#- One row per customer account ever seen: its newest version (latest drop, then latest line) in
    drops dated <= the as-of date, deleted ones included with their deleted_at. An account deleted
    today existed until today: models that keep history per day (the daily health inputs) need it;
    models of the accounts that exist now read stg_app_db__accounts. -#}
with

source as (

    select * from {{ source('app_db', 'app_db__accounts') }}
    where _drop_date <= {{ as_of_date() }}

),

newest_version as (

    {{ newest_version('source', ['account_id']) }}

),

renamed as (

    select
        -- ids
        account_id,
        {{ empty_as_null('stripe_customer_id') }} as stripe_customer_id,
        {{ empty_as_null('csm_id') }} as csm_id,

        -- attributes
        {{ empty_as_null('name') }} as account_name,
        {{ empty_as_null('segment') }} as segment,
        {{ empty_as_null('plan') }} as plan,
        {{ empty_as_null('advocacy_status') }} as advocacy_status,

        -- amounts
        seats,
        plan_conversation_limit,

        -- timestamps
        created_at,
        updated_at,
        deleted_at,

        -- load metadata
        _drop_date as source_drop_date

    from newest_version

)

select * from renamed
