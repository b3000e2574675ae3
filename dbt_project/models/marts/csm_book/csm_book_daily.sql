{#- Each CSM's book per day (issue #23): the live book (paying and trialing accounts) by the CSM
    assigned to the account, with the unassigned accounts as their own row (csm_id NULL, labelled
    'unassigned'). Renewals are marts.renewals' (metrics.md §11, int_renewals_with_outcomes): the
    term ends of 12 months or more, read from Stripe's invoice lines, that fall 0 to 90 days after the
    day, on the paying accounts of the book; monthly terms are not renewals. A renewal due on the day
    itself counts although Stripe already shows the next period. Its MRR at stake is the renewals
    mart's: the billing customer's MRR (mrr_monthly) in the month before the term-end month, or in
    the day's month when that is earlier, so that on the as-of date the book and marts.renewals give
    the same count and MRR. A figure whose input is not known for some account of the row is NULL,
    with the number of such accounts beside it: never a count that leaves them out. -#}
with

daily as (

    select * from {{ ref('int_account_daily_metrics') }}

),

alerts as (

    select * from {{ ref('cs_alerts') }}

),

renewal_terms as (

    select
        account_id,
        stripe_customer_id,
        term_end,
        cast({{ dbt.dateadd('month', -1, dbt.date_trunc('month', 'term_end')) }} as date)
            as month_before_term_end
    from {{ ref('int_renewals_with_outcomes') }}
    where account_id is not null

),

customer_mrr as (

    select stripe_customer_id, month, mrr from {{ ref('mrr_monthly') }}

),

csms as (

    select csm_id, csm_name from {{ ref('stg_app_db__csms') }}

),

qbrs as (

    select account_id, cast(occurred_at as date) as held_on
    from {{ ref('stg_app_db__cs_activities') }}
    where activity_type = 'qbr' and account_id is not null

),

-- The book: live accounts, and those whose status is not known that day (stale Stripe), counted
-- apart so that a CSM's live accounts are never silently short.
book as (

    select
        account_id,
        as_of_date,
        csm_id,
        segment,
        customer_status,
        contract_length,
        current_period_end,
        mrr_last_valuation,
        is_app_db_covered
    from daily
    where customer_status in ('paying', 'trialing') or customer_status is null

),

open_alerts as (

    select book.account_id, book.as_of_date, count(*) as open_alerts
    from book
    inner join alerts
        on alerts.account_id = book.account_id
        and alerts.opened_on <= book.as_of_date
        and (alerts.closed_on is null or alerts.closed_on > book.as_of_date)
    where book.customer_status in ('paying', 'trialing')
    group by book.account_id, book.as_of_date

),

recent_qbrs as (

    select book.account_id, book.as_of_date, count(*) as qbrs_90d
    from book
    inner join qbrs
        on qbrs.account_id = book.account_id
        and qbrs.held_on <= book.as_of_date
        and qbrs.held_on > {{ dbt.dateadd('day', -90, 'book.as_of_date') }}
    where book.segment in ('mid_market', 'enterprise')
    group by book.account_id, book.as_of_date

),

renewals_due as (

    select
        book.account_id,
        book.as_of_date,
        count(*) as renewals_due,
        sum(cast(customer_mrr.mrr as decimal(18, 2))) as renewal_mrr,
        count(*) filter (where customer_mrr.mrr is null) as renewals_mrr_unknown
    from book
    inner join renewal_terms
        on renewal_terms.account_id = book.account_id
        and renewal_terms.term_end between book.as_of_date
            and cast({{ dbt.dateadd('day', 90, 'book.as_of_date') }} as date)
    left join customer_mrr
        on customer_mrr.stripe_customer_id = renewal_terms.stripe_customer_id
        and customer_mrr.month = least(
            renewal_terms.month_before_term_end,
            cast({{ dbt.date_trunc('month', 'book.as_of_date') }} as date)
        )
    where book.customer_status = 'paying'
    group by book.account_id, book.as_of_date

),

accounts as (

    select
        book.*,
        book.customer_status in ('paying', 'trialing') as is_live,
        coalesce(open_alerts.open_alerts, 0) as open_alerts,
        book.segment in ('mid_market', 'enterprise') and book.customer_status in ('paying', 'trialing')
            as needs_qbr,
        coalesce(recent_qbrs.qbrs_90d, 0) as qbrs_90d,
        -- a renewal needs a known term and, for a term of a year or more, a known period end
        book.customer_status = 'paying'
            and (book.contract_length is null
                or (book.contract_length >= 12 and book.current_period_end is null)) as renewal_unknown,
        coalesce(renewals_due.renewals_due, 0) as renewals_due,
        renewals_due.renewal_mrr,
        coalesce(renewals_due.renewals_mrr_unknown, 0) as renewals_mrr_unknown
    from book
    left join open_alerts
        on open_alerts.account_id = book.account_id and open_alerts.as_of_date = book.as_of_date
    left join recent_qbrs
        on recent_qbrs.account_id = book.account_id and recent_qbrs.as_of_date = book.as_of_date
    left join renewals_due
        on renewals_due.account_id = book.account_id and renewals_due.as_of_date = book.as_of_date

),

per_csm as (

    select
        as_of_date,
        csm_id,
        count(*) filter (where is_live) as live_accounts,
        count(*) filter (where customer_status = 'paying') as paying_accounts,
        count(*) filter (where customer_status = 'trialing') as trialing_accounts,
        count(*) filter (where customer_status is null) as accounts_status_unknown,
        sum(mrr_last_valuation) filter (where is_live) as mrr,
        count(mrr_last_valuation) filter (where is_live) as mrr_accounts,
        sum(renewals_due) as renewals_due_90d,
        sum(renewal_mrr) as renewal_mrr_due_90d,
        sum(renewals_mrr_unknown) as renewals_mrr_unknown,
        count(*) filter (where renewal_unknown) as renewal_terms_unknown,
        sum(open_alerts) filter (where is_live) as open_alerts,
        count(*) filter (where is_live and open_alerts > 0) as accounts_with_open_alerts,
        count(*) filter (where needs_qbr) as qbr_accounts,
        count(*) filter (where needs_qbr and is_app_db_covered and qbrs_90d = 0) as qbr_missing_known,
        count(*) filter (where needs_qbr and not coalesce(is_app_db_covered, false)) as qbr_coverage_unknown
    from accounts
    group by as_of_date, csm_id

),

final as (

    select
        per_csm.as_of_date,
        cast(per_csm.csm_id as string) as csm_id,
        cast(coalesce(per_csm.csm_id, 'unassigned') as string) as csm_label,
        cast(csms.csm_name as string) as csm_name,
        cast(live_accounts as integer) as live_accounts,
        cast(paying_accounts as integer) as paying_accounts,
        cast(trialing_accounts as integer) as trialing_accounts,
        cast(accounts_status_unknown as integer) as accounts_status_unknown,
        cast(coalesce(mrr, 0) as decimal(18, 2)) as mrr,
        cast(mrr_accounts as integer) as mrr_accounts,
        cast(live_accounts - mrr_accounts as integer) as accounts_mrr_not_valued,
        cast(case when renewal_terms_unknown = 0 then renewals_due_90d end as integer) as renewals_due_90d,
        cast(case when renewal_terms_unknown = 0 and renewals_mrr_unknown = 0
            then coalesce(renewal_mrr_due_90d, 0) end as decimal(18, 2)) as renewal_mrr_due_90d,
        cast(renewal_terms_unknown as integer) as renewal_terms_unknown,
        cast(coalesce(open_alerts, 0) as integer) as open_alerts,
        cast(accounts_with_open_alerts as integer) as accounts_with_open_alerts,
        cast(qbr_accounts as integer) as qbr_accounts,
        cast(case when qbr_coverage_unknown = 0 then qbr_missing_known end as integer) as accounts_without_qbr_90d,
        cast(qbr_coverage_unknown as integer) as qbr_coverage_unknown
    from per_csm
    left join csms
        on csms.csm_id = per_csm.csm_id

)

select * from final
