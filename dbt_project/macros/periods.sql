{#- Deadlines: a day of the period's month (clamped to the month's last day) and the end of
    that day in local time (Asia/Ho_Chi_Minh), as timestamptz. -#}

{% macro due_date(period_month, due_day) -%}
    (
        date_trunc('month', {{ period_month }})::date
        + (least(
            {{ due_day }},
            extract(day from (date_trunc('month', {{ period_month }}) + interval '1 month - 1 day'))::integer
        ) - 1)
    )
{%- endmacro %}


{% macro end_of_local_day(date_expr) -%}
    (({{ date_expr }})::timestamp + interval '1 day' - interval '1 microsecond')
    at time zone '{{ var("local_time_zone") }}'
{%- endmacro %}


{% macro local_date(timestamptz_expr) -%}
    ({{ timestamptz_expr }} at time zone '{{ var("local_time_zone") }}')::date
{%- endmacro %}


{#- The as-of date of the run: var as_of_date (YYYY-MM-DD) if given, else the date the run
    started, in local time. Months due after it are not judged yet. -#}
{% macro as_of_date() -%}
    {%- if var('as_of_date', none) -%}
        cast('{{ var("as_of_date") }}' as date)
    {%- else -%}
        {{ local_date("cast('" ~ run_started_at ~ "' as timestamptz)") }}
    {%- endif -%}
{%- endmacro %}
