"""The submission portal (``gnbv portal``): units send their Biểu 05 and read the verdict at once.

``accounts``    portal accounts and roles, argon2 passwords, API tokens, log-in lockout
``audit``       the audit table: who did what, when, for which unit, month and submission
``access``      who may send or see what (one home for the role rules, reused by every router)
``database``    connections acting as the database role gnbv_portal
``sessions``    server-side session records behind the signed cookie; CSRF tokens
``uploads``     an uploaded file through ``ingest.intake`` (the one intake), kept for download
``changes``     what an accepted report changed against the unit's previous version and last month
``consolidation`` accepted uploads handed to the province's consolidation
``app``         the FastAPI application: middleware, templates, routers (``routes/``)
``demo``        demo accounts of the sample province

Nothing here is imported by ``gnbv --help`` (FastAPI, argon2 and the intake load on use).
"""
