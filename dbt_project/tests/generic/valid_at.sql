{#-
    Relationship in time: every non-null `column_name` names a row of `to` (a type-2 table with
    `valid_from` / `valid_to`, valid_to null = still valid) that is valid on `date_column`.
    A 2024 submission must name a unit that existed in 2024.
-#}
{% test valid_at(model, column_name, to, field, date_column, valid_from='valid_from', valid_to='valid_to') %}

select child.*
from (select * from {{ model }}) as child
where
    child.{{ column_name }} is not null
    and child.{{ date_column }} is not null
    and not exists (
        select 1
        from {{ to }} as parent
        where
            parent.{{ field }} = child.{{ column_name }}
            and parent.{{ valid_from }} <= child.{{ date_column }}
            and (parent.{{ valid_to }} is null or parent.{{ valid_to }} >= child.{{ date_column }})
    )

{% endtest %}
