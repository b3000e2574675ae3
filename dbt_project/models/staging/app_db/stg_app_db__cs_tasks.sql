{#- One row per save-playbook task of the CRM. Its newest version (latest drop, then latest line)
    in drops dated <= the as-of date; a row whose newest version carries deleted_at was deleted at
    the source and is left out. -#}
with

source as (

    select * from {{ source('app_db', 'app_db__cs_tasks') }}
    where _drop_date <= {{ as_of_date() }}

),

newest_version as (

    {{ newest_version('source', ['task_id']) }}

),

renamed as (

    select
        -- ids
        task_id,
        {{ empty_as_null('account_id') }} as account_id,
        {{ empty_as_null('csm_id') }} as csm_id,

        -- attributes
        playbook,
        cast(action_order as integer) as action_order,
        {{ empty_as_null('outcome') }} as outcome,

        -- timestamps
        created_at,
        due_at,
        completed_at,

        -- load metadata
        _drop_date as source_drop_date

    from newest_version
    where deleted_at is null

)

select * from renamed
