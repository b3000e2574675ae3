{#- Survey-fatigue breaches from transforms.nps_survey_fatigue (transforms/nps.py
    survey_fatigue_violations), typed. -#}
select
    cast(level as string) as level,
    cast(subject_id as string) as subject_id,
    cast(send_id as string) as send_id,
    cast(sent_at as {{ dbt.type_timestamp() }}) as sent_at,
    cast(previous_send_id as string) as previous_send_id,
    cast(previous_sent_at as {{ dbt.type_timestamp() }}) as previous_sent_at,
    cast(days_since_previous as double) as days_since_previous
from {{ source('transforms', 'nps_survey_fatigue') }}
