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


{#- The first and the last reporting month the warehouse knows (dim_period, int_calendar_days).
    The last is var period_end if given, else December of the year of the as-of date or of the
    run, whichever is later: a month open for reports always has its row, whatever the year
    (a fixed last month made every month after it vanish from the status and the reports). -#}
{% macro first_reporting_month() -%}
    cast('{{ var("period_start") }}' as date)
{%- endmacro %}


{% macro last_reporting_month() -%}
    {%- if var('period_end', none) -%}
        cast('{{ var("period_end") }}' as date)
    {%- else -%}
        cast(
            date_trunc('year', greatest({{ as_of_date() }}, {{ local_date("cast('" ~ run_started_at ~ "' as timestamptz)") }}))
            + interval '11 months' as date
        )
    {%- endif -%}
{%- endmacro %}


{#- A deadline under a calendar rule: the due day of the period's month (clamped), moved to the
    next Vietnamese working day when the rule counts working days (day_count = 'working';
    int_calendar_days). gnbv.orchestration.calendar.monthly_deadline is the Python twin. -#}
{% macro rule_due_date(period_month, due_day, day_count) -%}
    case
        when {{ due_day }} is null then null
        when {{ day_count }} = 'working' then (
            select calendar_days.next_working_day
            from {{ ref('int_calendar_days') }} as calendar_days
            where calendar_days.calendar_date = {{ due_date(period_month, due_day) }}
        )
        else {{ due_date(period_month, due_day) }}
    end
{%- endmacro %}


{#- Days from a deadline to a later date, in the rule's days: calendar days, or working days in
    (due, day] when the rule counts working days. -#}
{% macro days_after(due_date_expr, day_expr, day_count) -%}
    case
        when {{ day_count }} = 'working' then (
            select cast(count(*) filter (where calendar_days.is_working_day) as integer)
            from {{ ref('int_calendar_days') }} as calendar_days
            where calendar_days.calendar_date > {{ due_date_expr }} and calendar_days.calendar_date <= {{ day_expr }}
        )
        else cast({{ day_expr }} - {{ due_date_expr }} as integer)
    end
{%- endmacro %}
