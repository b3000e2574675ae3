{#- Rows quarantined at ingest, counted by drop, file and rule: the published face of raw.quarantine,
    which keeps the original text (and so stays in the build database). -#}
with quarantine as (
    select * from {{ source('ingest', 'quarantine') }}
    where drop_date <= {{ as_of_date() }}
)

select
    source,
    drop_date,
    file,
    rule,
    count(*) as rows_quarantined,
    min(line) as first_line,
    max(line) as last_line
from quarantine
group by source, drop_date, file, rule
