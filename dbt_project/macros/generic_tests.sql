{#- Generic tests the dbt hub's dbt_utils would give us; the hub is unreachable, so our own. -#}

{#- Fails for every combination of the columns that occurs more than once. -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
    select {{ combination_of_columns | join(', ') }}, count(*) as occurrences
    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}
    having count(*) > 1
{% endtest %}

{#- Fails for every row where the boolean expression is not true (on a model or one of its columns). -#}
{% test expression_is_true(model, expression, column_name=none) %}
    select *
    from {{ model }}
    where not coalesce({{ expression }}, false)
{% endtest %}

{#- Fails once per currency and valuation date that has no FX rate (on that date or within the 7
    days before), naming in `problem` the currency, the date and the subscriptions and customers
    whose MRR it leaves unvalued; store its failures so the run's message can quote them. -#}
{% test fx_rate_found(model, column_name) %}
    select
        currency,
        valuation_date,
        count(*) as items,
        'no ' || currency || ' rate for ' || cast(valuation_date as string)
            || ' (nor in the 7 days before): MRR of '
            || cast(count(distinct subscription_id) as string) || ' subscription(s) unvalued, e.g. '
            || min(subscription_id) || ' of customer ' || min(customer_id)
            || '; deliver the rate in fx_rates.csv (date, currency, rate)' as problem
    from {{ model }}
    where {{ column_name }} is null
    group by currency, valuation_date
{% endtest %}
