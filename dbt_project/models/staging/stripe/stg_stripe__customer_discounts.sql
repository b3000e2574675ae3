{#- One row per discount on the newest version of each Stripe customer
    (drops dated <= the as-of date): the discount rows that came with that version's line. -#}
with

customers as (

    select * from {{ source('stripe', 'stripe__customers') }}
    where _drop_date <= {{ as_of_date() }}

),

discounts as (

    select * from {{ source('stripe', 'stripe__customer_discounts') }}
    where _drop_date <= {{ as_of_date() }}

),

newest_customer_version as (

    {{ newest_version('customers', ['id']) }}

),

renamed as (

    select
        parent.id as customer_id,
        {{ stripe_discount_columns('discount') }},

        -- load metadata
        discount._drop_date as source_drop_date

    from discounts as discount
    inner join newest_customer_version as parent
        on discount._drop_date = parent._drop_date
        and discount._file = parent._file
        and discount._line = parent._line

)

select * from renamed
