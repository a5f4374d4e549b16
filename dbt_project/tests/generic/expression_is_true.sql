{#-
    Every row satisfies `expression` (a SQL boolean over the model's columns); rows where it is
    false or null fail. The project's own version of dbt_utils.expression_is_true (packages
    cannot be downloaded here). Usage:

        data_tests:
          - expression_is_true:
              arguments:
                expression: "disbursed_cumulative_vnd >= 0"
-#}
{% test expression_is_true(model, expression, column_name=none) %}

select *
from {{ model }}
where not coalesce(({{ expression }}), false)

{% endtest %}
