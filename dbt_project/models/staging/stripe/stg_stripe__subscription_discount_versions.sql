{#- Every discount on a Stripe subscription or one of its items, with the drops between which the
    subscription carried it (see the discount_history macro). -#}
{{ discount_history(source('stripe', 'stripe__subscriptions'), source('stripe', 'stripe__subscription_discounts'), 'subscription_id') }}
