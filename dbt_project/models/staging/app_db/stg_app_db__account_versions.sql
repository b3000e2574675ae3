{#- Every distinct version of each account's plan attributes seen in drops dated <= the as-of date:
    valid from the drop that brought it (valid_from_drop) until the drop that brought the next
    differing version (valid_to_drop, exclusive; NULL for the current version), so the plan on day d
    is the version with valid_from_drop <= d < valid_to_drop. A drop repeating the same state does
    not start a new version. Only what drops showed: days before an account's first drop are not
    covered here (int_account_daily_metrics says what it does with them). -#}
with

source as (

    select * from {{ source('app_db', 'app_db__accounts') }}
    where _drop_date <= {{ as_of_date() }}

),

newest_per_drop as (

    {{ newest_version('source', ['account_id', '_drop_date'], order_by=['_line desc']) }}

),

renamed as (

    select
        -- ids
        account_id,

        -- attributes
        {{ empty_as_null('plan') }} as plan,

        -- amounts
        seats,
        plan_conversation_limit,

        -- flags
        deleted_at is not null as is_deleted,

        -- load metadata
        _drop_date as drop_date

    from newest_per_drop

),

fingerprinted as (

    select
        *,
        {{ state_fingerprint(['plan', 'seats', 'plan_conversation_limit', 'is_deleted']) }} as state_fingerprint
    from renamed

),

state_changes as (

    select
        *,
        lag(state_fingerprint) over (partition by account_id order by drop_date) as previous_state_fingerprint
    from fingerprinted

),

versions as (

    select
        *,
        drop_date as valid_from_drop,
        lead(drop_date) over (partition by account_id order by drop_date) as valid_to_drop
    from state_changes
    where previous_state_fingerprint is null
        or previous_state_fingerprint <> state_fingerprint

),

final as (

    select
        account_id,
        plan,
        seats,
        plan_conversation_limit,
        is_deleted,
        valid_from_drop,
        valid_to_drop,
        valid_to_drop is null as is_current
    from versions

)

select * from final
