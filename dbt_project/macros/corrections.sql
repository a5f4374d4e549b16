{#- A row is marked as a correction when its note (Ghi chú) says "điều chỉnh" (adjustment), in
    any case, Unicode normalisation or without diacritics ("dieu chinh"). -#}
{% macro is_correction_note(note) -%}
    coalesce(
        normalize(lower({{ note }})) like '%điều chỉnh%'
        or lower({{ note }}) like '%dieu chinh%',
        false
    )
{%- endmacro %}
