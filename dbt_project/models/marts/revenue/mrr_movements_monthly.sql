{#- MRR movements per month over all billing customers (metrics.md §1): MRR at the start (end of the
    previous month) and end, each movement's amount and logo count. Sums of mrr_monthly, so
    mrr_end = mrr_start + new + reactivation + expansion − contraction − churn exactly. -#}
with

mrr_monthly as (

    select * from {{ ref('mrr_monthly') }}

),

final as (

    select
        month,
        max(valuation_date) as valuation_date,
        max(reporting_currency) as reporting_currency,
        cast(sum(previous_mrr) as decimal(18, 2)) as mrr_start,
        cast(sum(new_mrr) as decimal(18, 2)) as new_mrr,
        cast(sum(reactivation_mrr) as decimal(18, 2)) as reactivation_mrr,
        cast(sum(expansion_mrr) as decimal(18, 2)) as expansion_mrr,
        cast(sum(contraction_mrr) as decimal(18, 2)) as contraction_mrr,
        cast(sum(churned_mrr) as decimal(18, 2)) as churned_mrr,
        cast(sum(mrr_change) as decimal(18, 2)) as net_new_mrr,
        cast(sum(mrr) as decimal(18, 2)) as mrr_end,
        cast(count(case when previous_mrr > 0 then 1 end) as integer) as logos_start,
        cast(count(case when movement_category = 'new' then 1 end) as integer) as logos_new,
        cast(count(case when movement_category = 'reactivation' then 1 end) as integer) as logos_reactivated,
        cast(count(case when movement_category = 'expansion' then 1 end) as integer) as logos_expanded,
        cast(count(case when movement_category = 'contraction' then 1 end) as integer) as logos_contracted,
        cast(count(case when movement_category = 'churn' then 1 end) as integer) as logos_churned,
        cast(count(case when movement_category = 'retained' then 1 end) as integer) as logos_retained,
        cast(count(case when mrr > 0 then 1 end) as integer) as logos_end
    from mrr_monthly
    group by month

)

select * from final
