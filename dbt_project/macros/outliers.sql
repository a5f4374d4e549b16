{#- Outlier scoring (marts.fct_outlier_flag): the statistics both measures share.

    The exact median of a numeric column: the mean of the lower and the upper middle value
    (percentile_cont works in double precision only; money stays numeric). -#}

{% macro exact_median(expr) -%}
    (
        (
            percentile_disc(0.5) within group (order by {{ expr }} asc)
            + percentile_disc(0.5) within group (order by {{ expr }} desc)
        ) / 2
    )
{%- endmacro %}


{#- The scoring CTEs over `points` (keys + value) and `reference` (keys + reference_value, one
    row per value the point is compared with). Ends with CTE `scores`: every point, with

      method     modified_z  when the point has at least var outlier_min_points reference values:
                             0.6745 × (value − median) / MAD (Iglewicz and Hoaglin);
                             when MAD = 0 (more than half the reference is one value), the mean
                             absolute deviation instead: (value − median) / (1.253314 × meanAD),
                             as IBM SPSS does; both zero (a constant reference): no score;
                 min_max     (only when allow_min_max) at least 2 but too few for a median:
                             how far outside the reference's range, in widths of that range,
                             signed: (value − max) / (max − min) above, (value − min) / (max − min)
                             below, 0 inside; a range of width 0: no score;
                 null        fewer reference values still: not scored;
      score      rounded to 4 decimals; threshold: var outlier_threshold (modified_z) or
                 outlier_min_max_threshold (min_max); is_flagged = |score| > threshold.
    Never a division by zero: a zero spread gives a null score, and a null score is not flagged. -#}

{% macro outlier_score_ctes(points, reference, keys, allow_min_max) %}

reference_centre as (

    select
        {%- for key in keys %}
        {{ key }},
        {%- endfor %}
        count(*) as reference_points,
        {{ exact_median('reference_value') }} as reference_median,
        min(reference_value) as reference_min,
        max(reference_value) as reference_max
    from {{ reference }}
    group by {{ keys | join(', ') }}

),

reference_spread as (

    select
        {%- for key in keys %}
        reference_values.{{ key }},
        {%- endfor %}
        {{ exact_median('abs(reference_values.reference_value - reference_centre.reference_median)') }}
            as median_absolute_deviation,
        avg(abs(reference_values.reference_value - reference_centre.reference_median))
            as mean_absolute_deviation
    from {{ reference }} as reference_values
    inner join reference_centre
        on
            {%- for key in keys %}
            {% if not loop.first %}and {% endif %}reference_values.{{ key }} = reference_centre.{{ key }}
            {%- endfor %}
    group by {% for key in keys %}reference_values.{{ key }}{% if not loop.last %}, {% endif %}{% endfor %}

),

scored as (

    select
        {{ points }}.*,
        coalesce(reference_centre.reference_points, 0) as reference_points,
        reference_centre.reference_median,
        reference_centre.reference_min,
        reference_centre.reference_max,
        reference_spread.median_absolute_deviation,
        reference_spread.mean_absolute_deviation,
        case
            when reference_centre.reference_points >= {{ var('outlier_min_points') }} then 'modified_z'
            {%- if allow_min_max %}
            when reference_centre.reference_points >= 2 then 'min_max'
            {%- endif %}
        end as method
    from {{ points }}
    left join reference_centre
        on
            {%- for key in keys %}
            {% if not loop.first %}and {% endif %}{{ points }}.{{ key }} = reference_centre.{{ key }}
            {%- endfor %}
    left join reference_spread
        on
            {%- for key in keys %}
            {% if not loop.first %}and {% endif %}{{ points }}.{{ key }} = reference_spread.{{ key }}
            {%- endfor %}

),

with_score as (

    select
        scored.*,
        round(
            case
                when scored.method = 'modified_z' and scored.median_absolute_deviation > 0
                    then 0.6745 * (scored.value - scored.reference_median) / scored.median_absolute_deviation
                when scored.method = 'modified_z' and scored.mean_absolute_deviation > 0
                    then (scored.value - scored.reference_median) / (1.253314 * scored.mean_absolute_deviation)
                when scored.method = 'min_max' and scored.reference_max > scored.reference_min
                    then
                        case
                            when scored.value > scored.reference_max
                                then (scored.value - scored.reference_max) / (scored.reference_max - scored.reference_min)
                            when scored.value < scored.reference_min
                                then (scored.value - scored.reference_min) / (scored.reference_max - scored.reference_min)
                            else 0
                        end
            end,
            4
        ) as score,
        case scored.method
            when 'modified_z' then cast({{ var('outlier_threshold') }} as numeric)
            when 'min_max' then cast({{ var('outlier_min_max_threshold') }} as numeric)
        end as threshold
    from scored

),

scores as (

    select
        with_score.*,
        coalesce(abs(with_score.score) > with_score.threshold, false) as is_flagged
    from with_score

)

{% endmacro %}


{#- The key of a scored point (a figure of int_outlier_points): month × unit × component ×
    funding source × capital year, on which both measures score. -#}

{% macro outlier_point_keys() -%}
    {{ return(['period_month', 'unit_code', 'component_code', 'funding_source_code', 'capital_year']) }}
{%- endmacro %}


{#- The columns of a scored measure, after its `measure` and `compared_with`, from CTE `scores`
    (outlier_score_ctes). One list for both measures (int_outlier_increment_scores,
    int_outlier_rate_scores): fct_outlier_flag unions them by position. -#}

{% macro outlier_score_columns() -%}
        scores.period_month,
        scores.unit_code,
        scores.admin_unit_key,
        scores.province_code,
        scores.component_code,
        scores.funding_source_code,
        scores.capital_year,
        scores.plan_amount_vnd,
        scores.disbursed_cumulative_vnd,
        scores.disbursed_in_month_vnd,
        scores.submission_id,
        scores.value,
        scores.reference_points,
        scores.reference_median,
        scores.median_absolute_deviation,
        scores.mean_absolute_deviation,
        scores.reference_min,
        scores.reference_max,
        scores.method,
        scores.score,
        scores.threshold,
        scores.is_flagged
{%- endmacro %}


{#- The post-hook of the two scoring models: deletes the unit-months scored here that have no
    point left to score (`scored_when`: the condition on int_outlier_points' row `points` that
    makes it a point of this measure); the delete+insert of the rescored unit-months never
    reaches them. Called from the hook, "{{ delete_unit_months_without_points(this, '...') }}",
    rendered when the hook runs. -#}
{% macro delete_unit_months_without_points(relation, scored_when) -%}
    delete from {{ relation }} as loaded
    using {{ distinct_keys(relation, ['unit_code', 'period_month']) }} as months
    where
        loaded.unit_code = months.unit_code
        and loaded.period_month = months.period_month
        and not exists (
            select 1 from {{ ref('int_outlier_points') }} as points
            where
                points.unit_code = months.unit_code
                and points.period_month = months.period_month
                and {{ scored_when }}
        )
{%- endmacro %}
