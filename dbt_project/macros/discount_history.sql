{#- Validity of each discount attached to a Stripe object, by drop date: a discount is valid from the
    first drop whose newest line of the parent carries it until the first later drop of that parent
    that does not (valid_to_drop, exclusive; NULL while it is still there). valid_from_drop is NULL
    when the discount came with the parent's first drop: the first extraction says nothing about
    before it, so the discount's own start and end decide those dates. A discount removed and added
    again gives two rows. -#}
{% macro discount_history(parent_relation, discount_relation, parent_id_name) -%}
with

parents as (

    select id, _drop_date, _file, _line from {{ parent_relation }}
    where _drop_date <= {{ as_of_date() }}

),

discounts as (

    select * from {{ discount_relation }}
    where _drop_date <= {{ as_of_date() }}

),

newest_line_per_drop as (

    {{ newest_version('parents', ['id', '_drop_date'], order_by=['_line desc']) }}

),

parent_drops as (

    select
        id as parent_key,
        _drop_date as drop_date,
        _file,
        _line,
        row_number() over (partition by id order by _drop_date) as drop_sequence,
        lead(_drop_date) over (partition by id order by _drop_date) as next_drop,
        min(_drop_date) over (partition by id) as first_drop
    from newest_line_per_drop

),

present as (

    select
        parent_drops.parent_key,
        parent_drops.drop_date,
        parent_drops.drop_sequence,
        parent_drops.next_drop,
        parent_drops.first_drop,
        coalesce(discount.id, discount.coupon_id) as discount_key,
        {{ stripe_discount_columns('discount') }}
    from discounts as discount
    inner join parent_drops
        on discount._drop_date = parent_drops.drop_date
        and discount._file = parent_drops._file
        and discount._line = parent_drops._line

),

islands as (

    select
        *,
        -- consecutive drops carrying the same discount share an island number
        drop_sequence - row_number() over (
            partition by parent_key, parent_object, parent_id, discount_key, discount_index
            order by drop_sequence
        ) as island
    from present

),

ranked as (

    select
        *,
        min(drop_date) over (
            partition by parent_key, parent_object, parent_id, discount_key, discount_index, island
        ) as first_seen_drop,
        row_number() over (
            partition by parent_key, parent_object, parent_id, discount_key, discount_index, island
            order by drop_sequence desc
        ) as recency
    from islands

)

select
    parent_key as {{ parent_id_name }},
    discount_id,
    coupon_id,
    promotion_code_id,
    parent_object,
    parent_id,
    discount_index,
    coupon_duration,
    coupon_duration_in_months,
    coupon_percent_off,
    coupon_amount_off,
    coupon_currency,
    started_at,
    ends_at,
    first_seen_drop,
    case when first_seen_drop = first_drop then null else first_seen_drop end as valid_from_drop,
    next_drop as valid_to_drop
from ranked
where recency = 1
{%- endmacro %}
