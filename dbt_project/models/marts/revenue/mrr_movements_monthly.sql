{#- MRR movements per month over all billing customers (metrics.md §1): MRR at the start (end of the
    previous month) and end, each movement's amount and logo count. Sums of mrr_monthly, so
    mrr_end = mrr_start + new + reactivation + expansion − contraction − churn exactly.
    A month in which some customer's MRR (or the previous month's) is not known (movement
    'unknown' in mrr_monthly) has its amounts and logo counts NULL, with the number of such
    customers in customers_mrr_unknown: a total that left them out would count them as 0. -#}
with

mrr_monthly as (

    select * from {{ ref('mrr_monthly') }}

),

{%- set amounts = [
    ('mrr_start', 'previous_mrr'),
    ('new_mrr', 'new_mrr'),
    ('reactivation_mrr', 'reactivation_mrr'),
    ('expansion_mrr', 'expansion_mrr'),
    ('contraction_mrr', 'contraction_mrr'),
    ('churned_mrr', 'churned_mrr'),
    ('net_new_mrr', 'mrr_change'),
    ('mrr_end', 'mrr'),
] %}
{%- set logos = [
    ('logos_start', 'previous_mrr > 0'),
    ('logos_new', "movement_category = 'new'"),
    ('logos_reactivated', "movement_category = 'reactivation'"),
    ('logos_expanded', "movement_category = 'expansion'"),
    ('logos_contracted', "movement_category = 'contraction'"),
    ('logos_churned', "movement_category = 'churn'"),
    ('logos_retained', "movement_category = 'retained'"),
    ('logos_end', 'mrr > 0'),
] %}

final as (

    select
        month,
        max(valuation_date) as valuation_date,
        max(reporting_currency) as reporting_currency,
        {% for name, column in amounts -%}
        cast(case when count(*) filter (where movement_category = 'unknown') = 0
            then sum({{ column }}) end as decimal(18, 2)) as {{ name }},
        {% endfor -%}
        {% for name, condition in logos -%}
        cast(case when count(*) filter (where movement_category = 'unknown') = 0
            then count(case when {{ condition }} then 1 end) end as integer) as {{ name }},
        {% endfor -%}
        cast(count(*) filter (where movement_category = 'unknown') as integer) as customers_mrr_unknown
    from mrr_monthly
    group by month

)

select * from final
