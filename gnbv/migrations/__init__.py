"""SQL migrations of the warehouse, applied by :mod:`gnbv.migrate`.

Files live in ``sql/`` and are named ``V<NNN>__<name>.sql`` (e.g. ``V002__raw.sql``).
They are applied in version order, each in its own transaction, and recorded in
``meta.schema_migrations``. Never edit an applied migration: add a new one.
"""
