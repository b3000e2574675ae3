{#- The 95% Wilson score interval of a proportion successes / trials (NULL when trials = 0):
    (p + z²/2n ± z·√(p(1−p)/n + z²/4n²)) / (1 + z²/n), z = 1.96. -#}
{% macro wilson_interval_bound(successes, trials, sign) -%}
    {%- set bound -%}
    (
        (cast({{ successes }} as {{ type_double() }}) / {{ trials }} + 1.96 * 1.96 / (2.0 * {{ trials }}))
        {{ sign }} 1.96 * sqrt(
            (cast({{ successes }} as {{ type_double() }}) / {{ trials }})
            * (1 - cast({{ successes }} as {{ type_double() }}) / {{ trials }}) / {{ trials }}
            + 1.96 * 1.96 / (4.0 * {{ trials }} * {{ trials }})
        )
    ) / (1 + 1.96 * 1.96 / {{ trials }})
    {%- endset -%}
    {#- clamped to [0, 1]: at p = 0 or 1 floating point leaves a bound a hair outside -#}
    case
        when not {{ trials }} > 0 then null
        when {{ bound }} < 0 then 0.0
        when {{ bound }} > 1 then 1.0
        else {{ bound }}
    end
{%- endmacro %}

{% macro wilson_interval_low(successes, trials) -%}
    {{ wilson_interval_bound(successes, trials, '-') }}
{%- endmacro %}

{% macro wilson_interval_high(successes, trials) -%}
    {{ wilson_interval_bound(successes, trials, '+') }}
{%- endmacro %}
