{#- One row per Stripe customer: its newest version in drops dated <= the as-of date. A deletion
    record ({id, deleted: true}) carries no attributes, so a deleted customer keeps the attributes of
    its last full version and is flagged is_deleted. -#}
with

source as (

    select * from {{ source('stripe', 'stripe__customers') }}
    where _drop_date <= {{ as_of_date() }}

),

full_versions as (

    select * from source
    where not coalesce(deleted, false)

),

newest_version as (

    {{ newest_version('source', ['id']) }}

),

newest_full_version as (

    {{ newest_version('full_versions', ['id']) }}

),

renamed as (

    select
        -- ids
        newest_version.id as customer_id,

        -- attributes
        {{ empty_as_null('full_version.email') }} as email,
        {{ empty_as_null('full_version.name') }} as customer_name,
        {{ empty_as_null('full_version.description') }} as description,
        {{ empty_as_null('full_version.metadata') }} as metadata,

        -- amounts
        full_version.balance as balance,
        {{ currency_code('full_version.currency') }} as currency,

        -- timestamps
        {{ from_unix_seconds('full_version.created') }} as created_at,

        -- flags
        coalesce(newest_version.deleted, false) as is_deleted,
        full_version.delinquent as is_delinquent,
        full_version.livemode as is_livemode,

        -- load metadata
        newest_version._drop_date as source_drop_date

    from newest_version
    left join newest_full_version as full_version
        on full_version.id = newest_version.id

)

select * from renamed
