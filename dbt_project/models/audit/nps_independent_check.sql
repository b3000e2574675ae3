{#- The independent SQL NPS (int_nps_by_period_segment) as a published table, so that the gate's
    comparison with marts.nps_summary (validation rule 1) can be repeated by any reader. -#}
select
    period_type,
    period_start,
    segment,
    responses,
    promoters,
    passives,
    detractors,
    nps
from {{ ref('int_nps_by_period_segment') }}
