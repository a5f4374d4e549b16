{#-
    Relationship over a span: every row's `column_name` names one version of `to` (a type-2 table,
    valid_to null = still valid) that is valid on every day from the row's `valid_from` to its
    `valid_to` (null: open-ended). Codes are reused across the 2025 reform (82 was Tiền Giang and
    is the new Đồng Tháp): a row whose days straddle two versions of its code would mix two units.
-#}
{% test valid_throughout(model, column_name, to, field, valid_from='valid_from', valid_to='valid_to') %}

select child.*
from (select * from {{ model }}) as child
where
    child.{{ column_name }} is not null
    and not exists (
        select 1
        from {{ to }} as parent
        where
            parent.{{ field }} = child.{{ column_name }}
            and parent.valid_from <= child.{{ valid_from }}
            and (
                parent.valid_to is null
                or (child.{{ valid_to }} is not null and parent.valid_to >= child.{{ valid_to }})
            )
    )

{% endtest %}
