"""BI on the marts: Apache Superset run by ``gnbv bi``, with the province's dashboards as code.

- :mod:`gnbv.bi.superset`  Superset's own environment under ``.gnbv/bi/`` (install, start, stop);
- :mod:`gnbv.bi.assets`    the dashboards under version control (deploy/superset/assets/);
- :mod:`gnbv.bi.api`       a small client of Superset's REST API;
- :mod:`gnbv.bi.provision` the warehouse side (the BI log-in) and the import of the dashboards;
- :mod:`gnbv.bi.cli`       the ``gnbv bi`` commands.

None of them imports Superset: it lives in another virtual environment and is driven through
its command line and its HTTP API.
"""
