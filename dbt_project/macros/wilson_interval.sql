{#- The 95% Wilson score interval of a proportion successes / trials (NULL when trials = 0):
    (p + z²/2n ± z·√(p(1−p)/n + z²/4n²)) / (1 + z²/n), z = 1.96. -#}
{% macro wilson_interval_bound(successes, trials, sign) -%}
    {#- z² as a double: a decimal literal divided by a count is a DOUBLE on DuckDB but a 6-decimal
        number on Spark; 1.96 * 1.96 itself is exact (3.8416) on both. -#}
    {%- set z_squared = 'cast(1.96 * 1.96 as ' ~ type_double() ~ ')' -%}
    {%- set bound -%}
    (
        (cast({{ successes }} as {{ type_double() }}) / {{ trials }} + {{ z_squared }} / (2 * cast({{ trials }} as {{ type_double() }})))
        {{ sign }} 1.96 * sqrt(
            (cast({{ successes }} as {{ type_double() }}) / {{ trials }})
            * (1 - cast({{ successes }} as {{ type_double() }}) / {{ trials }}) / {{ trials }}
            + {{ z_squared }} / (4 * cast({{ trials }} as {{ type_double() }}) * cast({{ trials }} as {{ type_double() }}))
        )
    ) / (1 + {{ z_squared }} / {{ trials }})
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
