{#- A row is marked as a correction when its note (Ghi chú) holds a marker of the seed
    ref_correction_phrases ("điều chỉnh", "đính chính", with or without diacritics) that no
    negation of the seed comes right before ("Không điều chỉnh" is no correction). The steps are
    those of intake's gate (gnbv/correction_note.py), on the same seed; a parity test
    (tests/test_correction_note.py) runs a table of notes through both:
    1. NFC, lower case; 2. separators (the same list as SEPARATORS there) to spaces, runs of
    spaces to one, a space at either end; 3. every negation right before a marker removed with
    it; 4. a correction when a marker is still there, as whole words.
    The two patterns are built from the seed once per query (uncorrelated subqueries). -#}
{% macro is_correction_note(note) -%}
    {%- set phrases = ref('ref_correction_phrases') -%}
    {%- set separators = "E' \\t\\n\\r\\x0B\\f\\u00A0.,;:!?()[]\"\\'/-_–—…“”‘’'" -%}
    case
        when nullif(btrim({{ note }}), '') is null then false
        else regexp_replace(
            ' ' || btrim(
                regexp_replace(
                    translate(lower(normalize({{ note }}, NFC)), {{ separators }}, repeat(' ', length({{ separators }}))),
                    ' +', ' ', 'g'
                ),
                ' '
            ) || ' ',
            (
                select
                    coalesce(
                        ' (?:'
                        || string_agg(phrase, '|' order by length(phrase) desc, phrase) filter (where kind = 'negation')
                        || ') (?:'
                        || string_agg(phrase, '|' order by length(phrase) desc, phrase) filter (where kind = 'marker')
                        || ')(?= )',
                        '(?!)'
                    )
                from {{ phrases }}
            ),
            '',
            'g'
        ) ~ (
            select ' (?:' || string_agg(phrase, '|' order by length(phrase) desc, phrase) || ')(?= )'
            from {{ phrases }}
            where kind = 'marker'
        )
    end
{%- endmacro %}
