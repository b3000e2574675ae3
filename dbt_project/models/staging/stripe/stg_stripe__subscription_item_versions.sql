{#- Every distinct version of each Stripe subscription item seen in drops dated <= the as-of date,
    valid from the drop that brought it (valid_from_drop) until valid_to_drop (exclusive; NULL for
    the current version): the drop that brought a differing version of the item, or the first drop
    whose version of the parent subscription no longer lists the item (the item ended then). Drops
    repeating the same state (stripe_subscription_item_state_columns equal) are collapsed. An item
    that comes back after it was gone starts a new version. -#}
with

subscriptions as (

    select * from {{ source('stripe', 'stripe__subscriptions') }}
    where _drop_date <= {{ as_of_date() }}

),

items as (

    select * from {{ source('stripe', 'stripe__subscription_items') }}
    where _drop_date <= {{ as_of_date() }}

),

subscription_per_drop as (

    {{ newest_version('subscriptions', ['id', '_drop_date'], order_by=['_line desc']) }}

),

renamed as (

    select
        {{ stripe_subscription_item_columns('item', 'subscription') }},
        item._drop_date as drop_date
    from items as item
    inner join subscription_per_drop as subscription
        on item.subscription_id = subscription.id
        and item._drop_date = subscription._drop_date
        and item._file = subscription._file
        and item._line = subscription._line

),

fingerprinted as (

    select
        *,
        {{ state_fingerprint(stripe_subscription_item_state_columns()) }} as state_fingerprint
    from renamed

),

item_first_seen as (

    select
        subscription_id,
        subscription_item_id,
        min(drop_date) as first_seen_drop
    from renamed
    group by subscription_id, subscription_item_id

),

-- every drop that carries the parent subscription from the item's first appearance on, with the
-- item's state in that drop or 'absent' when that version of the subscription does not list it
item_state_per_drop as (

    select
        item_first_seen.subscription_id,
        item_first_seen.subscription_item_id,
        subscription_per_drop._drop_date as drop_date,
        coalesce(fingerprinted.state_fingerprint, 'absent') as state_fingerprint
    from item_first_seen
    inner join subscription_per_drop
        on subscription_per_drop.id = item_first_seen.subscription_id
        and subscription_per_drop._drop_date >= item_first_seen.first_seen_drop
    left join fingerprinted
        on fingerprinted.subscription_id = item_first_seen.subscription_id
        and fingerprinted.subscription_item_id = item_first_seen.subscription_item_id
        and fingerprinted.drop_date = subscription_per_drop._drop_date

),

state_changes as (

    select
        *,
        lag(state_fingerprint) over (
            partition by subscription_id, subscription_item_id order by drop_date
        ) as previous_state_fingerprint
    from item_state_per_drop

),

bounded_states as (

    select
        subscription_id,
        subscription_item_id,
        state_fingerprint,
        drop_date as valid_from_drop,
        lead(drop_date) over (
            partition by subscription_id, subscription_item_id order by drop_date
        ) as valid_to_drop
    from state_changes
    where previous_state_fingerprint is null
        or previous_state_fingerprint <> state_fingerprint

),

final as (

    select
        fingerprinted.subscription_item_id,
        {% for column in stripe_subscription_item_state_columns() -%}
        fingerprinted.{{ column }},
        {% endfor -%}
        bounded_states.valid_from_drop,
        bounded_states.valid_to_drop,
        bounded_states.valid_to_drop is null as is_current
    from bounded_states
    inner join fingerprinted
        on fingerprinted.subscription_id = bounded_states.subscription_id
        and fingerprinted.subscription_item_id = bounded_states.subscription_item_id
        and fingerprinted.drop_date = bounded_states.valid_from_drop
    where bounded_states.state_fingerprint <> 'absent'

)

select * from final
