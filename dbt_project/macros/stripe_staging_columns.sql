{#- The typed, renamed columns of a Stripe subscription and subscription item, shared by the
    current-state models and the version-history models so that both always say the same thing. -#}

{#- From a raw.stripe__subscriptions row (columns unqualified). -#}
{% macro stripe_subscription_columns() -%}
        -- ids
        id as subscription_id,
        {{ empty_as_null('customer') }} as customer_id,
        {{ empty_as_null('latest_invoice') }} as latest_invoice_id,

        -- attributes
        status,
        {{ empty_as_null('collection_method') }} as collection_method,
        {{ empty_as_null('cancellation_reason') }} as cancellation_reason,
        {{ empty_as_null('cancellation_feedback') }} as cancellation_feedback,
        {{ empty_as_null('cancellation_comment') }} as cancellation_comment,
        {{ empty_as_null('pause_collection_behavior') }} as pause_collection_behavior,
        item_count,
        {{ empty_as_null('metadata') }} as metadata,

        -- amounts
        {{ currency_code('currency') }} as currency,

        -- timestamps
        {{ from_unix_seconds('created') }} as created_at,
        {{ from_unix_seconds('start_date') }} as started_at,
        {{ from_unix_seconds('billing_cycle_anchor') }} as billing_cycle_anchor_at,
        {{ from_unix_seconds('current_period_start') }} as current_period_start_at,
        {{ from_unix_seconds('current_period_end') }} as current_period_end_at,
        {{ from_unix_seconds('trial_start') }} as trial_start_at,
        {{ from_unix_seconds('trial_end') }} as trial_end_at,
        {{ from_unix_seconds('cancel_at') }} as cancel_at,
        {{ from_unix_seconds('canceled_at') }} as canceled_at,
        {{ from_unix_seconds('ended_at') }} as ended_at,
        {{ from_unix_seconds('pause_collection_resumes_at') }} as pause_collection_resumes_at,

        -- flags
        cancel_at_period_end,
        livemode as is_livemode
{%- endmacro %}

{#- The state columns that tell two subscription versions apart (everything but load metadata). -#}
{% macro stripe_subscription_state_columns() -%}
    {{ return([
        'customer_id', 'latest_invoice_id', 'status', 'collection_method', 'cancellation_reason',
        'cancellation_feedback', 'cancellation_comment', 'pause_collection_behavior', 'item_count',
        'metadata', 'currency', 'created_at', 'started_at', 'billing_cycle_anchor_at',
        'current_period_start_at', 'current_period_end_at', 'trial_start_at', 'trial_end_at',
        'cancel_at', 'canceled_at', 'ended_at', 'pause_collection_resumes_at',
        'cancel_at_period_end', 'is_livemode'
    ]) }}
{%- endmacro %}

{#- From a raw.stripe__subscription_items row `item` joined to its parent raw.stripe__subscriptions
    row `subscription` (same _drop_date/_file/_line). The current period is the item's (2025-03-31+
    API) or else the subscription's (older API); price fields fall back to the legacy plan mirror. -#}
{% macro stripe_subscription_item_columns(item='item', subscription='subscription') -%}
        -- ids
        {{ item }}.id as subscription_item_id,
        {{ item }}.subscription_id,
        {{ empty_as_null(item ~ '.price_id') }} as price_id,
        {{ empty_as_null(item ~ '.price_product') }} as product_id,
        {{ empty_as_null(item ~ '.plan_id') }} as plan_id,

        -- attributes
        {{ item }}.item_index,
        {{ empty_as_null(item ~ '.price_type') }} as price_type,
        {{ empty_as_null(item ~ '.price_billing_scheme') }} as price_billing_scheme,
        coalesce({{ empty_as_null(item ~ '.price_recurring_interval') }}, {{ empty_as_null(item ~ '.plan_interval') }}) as recurring_interval,
        coalesce({{ item }}.price_recurring_interval_count, {{ item }}.plan_interval_count) as recurring_interval_count,
        coalesce({{ empty_as_null(item ~ '.price_recurring_usage_type') }}, {{ empty_as_null(item ~ '.plan_usage_type') }}) as recurring_usage_type,
        {{ empty_as_null(item ~ '.price_nickname') }} as price_nickname,
        {{ empty_as_null(item ~ '.price_lookup_key') }} as price_lookup_key,
        {{ empty_as_null(item ~ '.metadata') }} as metadata,
        {{ empty_as_null(item ~ '.price_metadata') }} as price_metadata,
        {#- The billed plan's name as the price carries it (price.metadata.plan), beside its lookup_key. #}
        {{ empty_as_null(json_text_field(item ~ '.price_metadata', 'plan')) }} as metadata_plan,

        -- amounts
        {{ item }}.quantity,
        coalesce({{ item }}.price_unit_amount, {{ item }}.plan_amount) as unit_amount,
        {{ empty_as_null(item ~ '.price_unit_amount_decimal') }} as unit_amount_decimal,
        {{ currency_code('coalesce(' ~ item ~ '.price_currency, ' ~ item ~ '.plan_currency)') }} as currency,

        -- timestamps
        {{ from_unix_seconds(item ~ '.created') }} as created_at,
        {{ from_unix_seconds('coalesce(' ~ item ~ '.current_period_start, ' ~ subscription ~ '.current_period_start)') }} as current_period_start_at,
        {{ from_unix_seconds('coalesce(' ~ item ~ '.current_period_end, ' ~ subscription ~ '.current_period_end)') }} as current_period_end_at,

        -- flags
        {{ item }}.price_active as is_price_active
{%- endmacro %}

{#- The state columns that tell two item versions apart. Not item_index: removing another item
    shifts the positions, which is no change to this item. -#}
{% macro stripe_subscription_item_state_columns() -%}
    {{ return([
        'subscription_id', 'price_id', 'product_id', 'plan_id', 'price_type',
        'price_billing_scheme', 'recurring_interval', 'recurring_interval_count',
        'recurring_usage_type', 'price_nickname', 'price_lookup_key', 'metadata', 'price_metadata', 'metadata_plan',
        'quantity', 'unit_amount', 'unit_amount_decimal', 'currency', 'created_at',
        'current_period_start_at', 'current_period_end_at', 'is_price_active'
    ]) }}
{%- endmacro %}

{#- From a raw.stripe__*_discounts row `discount` (the three discount tables share one layout). -#}
{% macro stripe_discount_columns(discount='discount') -%}
        -- ids
        {{ empty_as_null(discount ~ '.id') }} as discount_id,
        {{ empty_as_null(discount ~ '.coupon_id') }} as coupon_id,
        {{ empty_as_null(discount ~ '.promotion_code') }} as promotion_code_id,
        {{ discount }}.parent_object,
        {{ discount }}.parent_id,

        -- attributes
        {{ discount }}.discount_index,
        {{ empty_as_null(discount ~ '.coupon_duration') }} as coupon_duration,
        {{ discount }}.coupon_duration_in_months,

        -- amounts
        {{ discount }}.coupon_percent_off,
        {{ discount }}.coupon_amount_off,
        {{ currency_code(discount ~ '.coupon_currency') }} as coupon_currency,

        -- timestamps
        {{ from_unix_seconds(discount ~ '.' ~ adapter.quote('start')) }} as started_at,
        {{ from_unix_seconds(discount ~ '.' ~ adapter.quote('end')) }} as ends_at
{%- endmacro %}
