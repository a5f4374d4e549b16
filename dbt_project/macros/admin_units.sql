{#- An administrative unit is its code AND its validity: codes are reused (82 was Tiền Giang and
    is Đồng Tháp from 2025-07-01). The key of a unit version, as dim_admin_unit.admin_unit_key:
    '<code>@<valid_from, YYYY-MM-DD>'. -#}

{% macro admin_unit_key(unit_code, valid_from) -%}
    ({{ unit_code }} || '@' || to_char({{ valid_from }}, 'YYYY-MM-DD'))
{%- endmacro %}


{#- Join condition: the version of `units` (a relation with unit_code, valid_from, valid_to)
    valid on `day` for the code `unit_code`. -#}

{% macro unit_version_on(units, unit_code, day) -%}
    {{ units }}.unit_code = {{ unit_code }}
    and {{ valid_on(units, day) }}
{%- endmacro %}


{#- Join condition: a row of `relation` (valid_from, valid_to; null = still in force) holds on
    `day`. Reference rows that name a unit by code (lead agencies, plan figures) carry validity
    inside one version of the code, so a join at the period never reaches the code's other unit. -#}

{% macro valid_on(relation, day) -%}
    {{ relation }}.valid_from <= {{ day }}
    and ({{ relation }}.valid_to is null or {{ relation }}.valid_to >= {{ day }})
{%- endmacro %}


{#- Join condition: a row of `relation` (valid_from, valid_to; null = still in force) holds on at
    least one day of the month that starts on `period_month`: a province or unit that starts or
    ends within a month belongs to that month (the join at a day is valid_on). -#}

{% macro valid_in_month(relation, period_month) -%}
    {{ relation }}.valid_from <= cast({{ period_month }} + interval '1 month - 1 day' as date)
    and ({{ relation }}.valid_to is null or {{ relation }}.valid_to >= {{ period_month }})
{%- endmacro %}
