"""``gnbv bench``: the warehouse at national scale, side by side with what users would do instead.

Everything runs on SYNTHETIC data (``gnbv.dev.samples.national``) in a database of its own,
``gnbv_bench``, created and dropped on the server in force (the embedded warehouse, or
``GNBV_DATABASE_URL``'s server): the user's warehouse is never touched.

Modules:

``runner``    the whole benchmark: what is measured, in which order, how often; the verdicts
``child``     the measured programs, each run in a fresh child process (intake, the naive
              pandas path, the floor of bare reads and a bare COPY, the gate's cost, DAG parsing)
``proc``      running a child and sampling its memory (PSS/RSS of the process tree)
``database``  the ``gnbv_bench`` database: created, migrated, dropped
``dbt_bench`` five years of national history in raw, then a full refresh against an
              incremental monthly build
``report``    the table (terminal and Markdown for ``docs/performance.md``)
``cli``       the ``gnbv bench`` command
"""
