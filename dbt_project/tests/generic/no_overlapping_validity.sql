{#- A type-2 history never has two versions of the same key valid on the same day. The key is
    `column_name`, with `and_columns` where it has more than one column. -#}
{% test no_overlapping_validity(model, column_name, valid_from='valid_from', valid_to='valid_to', and_columns=[]) %}

with versions as (

    select * from {{ model }}

)

select
    a.{{ column_name }},
    a.{{ valid_from }} as first_valid_from,
    b.{{ valid_from }} as second_valid_from
from versions as a
inner join versions as b
    on
        a.{{ column_name }} = b.{{ column_name }}
        {%- for column in and_columns %}
        and a.{{ column }} = b.{{ column }}
        {%- endfor %}
        and a.{{ valid_from }} < b.{{ valid_from }}
        and (a.{{ valid_to }} is null or a.{{ valid_to }} >= b.{{ valid_from }})

{% endtest %}
