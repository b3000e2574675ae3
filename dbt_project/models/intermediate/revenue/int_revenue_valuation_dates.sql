{#- The dates MRR is valued on: the last day of every month from the month of the first subscription
    start to the as-of month, and the as-of date for the as-of month itself. Each date is valued at
    its end (valued_at, 23:59:59.999 UTC). Dates before the first Stripe drop are covered only by
    history (subscription dates and invoice lines, metrics.md §1 History); later ones by the
    subscription versions the drops brought. -#}
with

subscription_versions as (

    select * from {{ ref('stg_stripe__subscription_versions') }}

),

bounds as (

    select
        cast({{ dbt.date_trunc('month', 'min(started_at)') }} as date) as first_month,
        min(valid_from_drop) as first_drop_date
    from subscription_versions

),

months as (

    {{ dbt.date_spine(
        'month',
        "cast('1990-01-01' as date)",
        dbt.dateadd('month', 1, dbt.date_trunc('month', as_of_date()))
    ) }}

),

valuation_dates as (

    select
        cast(months.date_month as date) as month,
        case
            when cast({{ dbt.last_day('months.date_month', 'month') }} as date) < {{ as_of_date() }}
                then cast({{ dbt.last_day('months.date_month', 'month') }} as date)
            else {{ as_of_date() }}
        end as valuation_date,
        bounds.first_drop_date
    from months
    cross join bounds
    where months.date_month >= bounds.first_month
        and months.date_month <= {{ dbt.date_trunc('month', as_of_date()) }}

),

final as (

    select
        month,
        valuation_date,
        {{ end_of_day('valuation_date') }} as valued_at,
        first_drop_date,
        valuation_date < first_drop_date as is_before_first_drop
    from valuation_dates

)

select * from final
