{#- Renewal rate per term-end month, for all renewals and per CSM (metrics.md §11): logos kept
    (renewed, expanded or contracted) / renewals due with a Wilson interval, and the MRR renewal rate
    Σ min(MRR after, MRR before) / Σ MRR before. A rate is NULL with rate_reason while any renewal of
    the group is pending or has an unknown MRR, and below var('retention_min_accounts') renewals
    (insufficient_sample), never a rate over part of the group. -#}
with

renewals as (

    select * from {{ ref('renewals') }}

),

scoped as (

    select 'all' as scope, cast(null as string) as csm_id, cast(null as string) as csm_name, *
        except (csm_id, csm_name)
    from renewals
    union all
    select
        case when csm_id is null then 'unassigned' else 'csm' end as scope,
        csm_id,
        csm_name,
        * except (csm_id, csm_name)
    from renewals

),

grouped as (

    select
        term_end_month as month,
        scope,
        csm_id,
        max(csm_name) as csm_name,
        max(reporting_currency) as reporting_currency,
        cast(count(*) as integer) as renewals_due,
        cast(sum(mrr_at_stake) as decimal(18, 2)) as mrr_due,
        cast(count(*) filter (where outcome_reason like 'pending%') as integer) as renewals_pending,
        cast(count(*) filter (where outcome is null and outcome_reason not like 'pending%') as integer)
            as renewals_outcome_unknown,
        cast(count(*) filter (where outcome = 'renewed') as integer) as renewed,
        cast(count(*) filter (where outcome = 'expanded') as integer) as expanded,
        cast(count(*) filter (where outcome = 'contracted') as integer) as contracted,
        cast(count(*) filter (where outcome = 'churned') as integer) as churned,
        cast(count(*) filter (where outcome is not null) as integer) as renewals_with_outcome,
        cast(sum(mrr_at_stake) filter (where outcome is not null) as decimal(18, 2))
            as mrr_due_with_outcome,
        cast(sum(mrr_kept) filter (where outcome is not null) as decimal(18, 2)) as mrr_kept
    from scoped
    group by term_end_month, scope, csm_id

),

rated as (

    select
        *,
        renewed + expanded + contracted as logos_kept,
        case
            when renewals_pending > 0
                then 'outcome_pending: ' || renewals_pending || ' of ' || renewals_due || ' renewals'
            when renewals_outcome_unknown > 0
                then 'outcome_unknown: ' || renewals_outcome_unknown || ' of ' || renewals_due
                    || ' renewals (MRR unknown or none before the term end)'
            when renewals_with_outcome < {{ var('retention_min_accounts') }}
                then 'insufficient_sample: ' || renewals_with_outcome || ' renewals (minimum '
                    || {{ var('retention_min_accounts') }} || ')'
        end as rate_reason
    from grouped

),

final as (

    select
        month,
        scope,
        csm_id,
        csm_name,
        reporting_currency,
        renewals_due,
        renewals_pending,
        renewals_outcome_unknown,
        renewals_with_outcome,
        renewed,
        expanded,
        contracted,
        churned,
        cast(logos_kept as integer) as logos_kept,
        case when rate_reason is null
            then cast(logos_kept as double) / renewals_with_outcome end as logo_renewal_rate,
        case when rate_reason is null
            then {{ wilson_interval_low('logos_kept', 'renewals_with_outcome') }} end
            as logo_renewal_ci_low,
        case when rate_reason is null
            then {{ wilson_interval_high('logos_kept', 'renewals_with_outcome') }} end
            as logo_renewal_ci_high,
        mrr_due,
        mrr_due_with_outcome,
        mrr_kept,
        case when rate_reason is null and mrr_due_with_outcome > 0
            then cast(mrr_kept as double) / cast(mrr_due_with_outcome as double) end
            as mrr_renewal_rate,
        rate_reason
    from rated

)

select * from final
