{#- Onboarding per account as of each run's date: transforms.onboarding_progress
    (transforms/onboarding.py) with its milestones rolled up from transforms.onboarding_milestones:
    how many were reached, the latest reached and when, the next one due and its target day. -#}
with

progress as (

    select * from {{ source('transforms', 'onboarding_progress') }}

),

milestones as (

    select * from {{ source('transforms', 'onboarding_milestones') }}

),

milestone_rollup as (

    select
        account_id,
        as_of_date,
        count(*) as milestones_total,
        count(reached_on) as milestones_reached,
        max_by(milestone, case when reached_on is not null then target_day end)
            as last_milestone_reached,
        max(reached_on) as last_milestone_reached_on,
        min_by(milestone, case when reached_on is null then target_day end) as next_milestone,
        min(case when reached_on is null then target_on end) as next_milestone_target_on
    from milestones
    group by account_id, as_of_date

),

final as (

    select
        cast(progress.account_id as string) as account_id,
        cast(progress.as_of_date as date) as as_of_date,
        cast(progress.program as string) as program,
        cast(progress.onboarding_start as date) as onboarding_start,
        cast(progress.required_steps as bigint) as required_steps,
        cast(progress.required_done as bigint) as required_done,
        cast(progress.progress as double) as progress,
        cast(progress.status as string) as status,
        cast(progress.completed_on as date) as completed_on,
        cast(progress.last_step_on as date) as last_step_on,
        cast(progress.stalled as boolean) as stalled,
        cast(progress.first_value_on as date) as first_value_on,
        cast(progress.time_to_first_value_days as bigint) as time_to_first_value_days,
        cast(progress.window_end as date) as window_end,
        cast(progress.window_ended as boolean) as window_ended,
        cast(progress.completed_in_window as boolean) as completed_in_window,
        cast(milestone_rollup.milestones_total as bigint) as milestones_total,
        cast(milestone_rollup.milestones_reached as bigint) as milestones_reached,
        cast(milestone_rollup.last_milestone_reached as string) as last_milestone_reached,
        cast(milestone_rollup.last_milestone_reached_on as date) as last_milestone_reached_on,
        cast(milestone_rollup.next_milestone as string) as next_milestone,
        cast(milestone_rollup.next_milestone_target_on as date) as next_milestone_target_on,
        cast(progress.config_version as string) as config_version
    from progress
    left join milestone_rollup
        on milestone_rollup.account_id = progress.account_id
        and milestone_rollup.as_of_date = progress.as_of_date

)

select * from final
