"""Which exceptions a user can act on, and the words to show them instead of a traceback."""

from __future__ import annotations


def user_facing_error(exc: BaseException) -> str | None:
    from gnbv.settings import SettingsError
    from gnbv.warehouse import WarehouseError

    if isinstance(exc, (WarehouseError, SettingsError)):
        return str(exc)
    try:
        import psycopg
    except ImportError:  # pragma: no cover
        return None
    if isinstance(exc, psycopg.OperationalError):
        return f"the warehouse is unreachable: {str(exc).strip()} (see `gnbv warehouse status`)"
    return None
