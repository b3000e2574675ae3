{#- One row per onboarding step an account completed by the end of the as-of date, with the day
    it was completed (steps listed but not completed are left out: they have no date). -#}
with

steps as (

    select * from {{ ref('stg_app_db__onboarding_steps') }}

),

final as (

    select
        account_id,
        step_id as step,
        program_id as source_program_id,
        completed_at,
        cast(completed_at as date) as completed_on
    from steps
    where completed_at is not null
        and completed_at <= {{ as_of_end() }}

)

select * from final
