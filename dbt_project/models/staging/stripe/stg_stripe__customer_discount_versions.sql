{#- Every discount on a Stripe customer, with the drops between which the customer carried it (see
    the discount_history macro). -#}
{{ discount_history(source('stripe', 'stripe__customers'), source('stripe', 'stripe__customer_discounts'), 'customer_id') }}
