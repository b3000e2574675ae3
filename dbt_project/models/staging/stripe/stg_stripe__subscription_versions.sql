{#- Every distinct version of each Stripe subscription seen in drops dated <= the as-of date: valid
    from the drop that brought it (valid_from_drop) until the drop that brought the next differing
    version (valid_to_drop, exclusive; NULL for the current version). A drop that repeats the same
    state (every column of stripe_subscription_state_columns equal) does not start a new version.
    Built from raw by drop date, not with dbt snapshots, which stamp wall-clock time. -#}
with

source as (

    select * from {{ source('stripe', 'stripe__subscriptions') }}
    where _drop_date <= {{ as_of_date() }}

),

newest_per_drop as (

    {{ newest_version('source', ['id', '_drop_date'], order_by=['_line desc']) }}

),

renamed as (

    select
        {{ stripe_subscription_columns() }},
        _drop_date as drop_date
    from newest_per_drop

),

fingerprinted as (

    select
        *,
        {{ state_fingerprint(stripe_subscription_state_columns()) }} as state_fingerprint
    from renamed

),

state_changes as (

    select
        *,
        lag(state_fingerprint) over (
            partition by subscription_id order by drop_date
        ) as previous_state_fingerprint
    from fingerprinted

),

versions as (

    select
        *,
        drop_date as valid_from_drop,
        lead(drop_date) over (partition by subscription_id order by drop_date) as valid_to_drop
    from state_changes
    where previous_state_fingerprint is null
        or previous_state_fingerprint <> state_fingerprint

),

final as (

    select
        subscription_id,
        {{ stripe_subscription_state_columns() | join(',\n        ') }},
        valid_from_drop,
        valid_to_drop,
        valid_to_drop is null as is_current
    from versions

)

select * from final
