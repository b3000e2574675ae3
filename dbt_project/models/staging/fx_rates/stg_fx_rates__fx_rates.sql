{#- One row per date and currency: the rate from the latest drop (then latest line) dated <= the
    as-of date, in units of the reporting currency per one unit of `currency`. -#}
with

source as (

    select * from {{ source('fx_rates', 'fx_rates__fx_rates') }}
    where _drop_date <= {{ as_of_date() }}

),

newest_version as (

    {{ newest_version('source', [adapter.quote('date'), currency_code('currency')]) }}

),

renamed as (

    select
        -- ids
        {{ adapter.quote('date') }} as rate_date,
        {{ currency_code('currency') }} as currency,

        -- amounts
        rate as rate_to_reporting,

        -- load metadata
        _drop_date as source_drop_date

    from newest_version

)

select * from renamed
