"""Who may send and see what: the one home of the portal's role rules (every router asks here).

- a unit officer sends for their own unit only, and sees their unit's submissions;
- a lead agency and the province office see the units of their province, and never send;
- an administrator sees everything and sends nothing (they manage accounts with ``gnbv users``).
"""

from __future__ import annotations

import datetime as dt

from gnbv.portal.accounts import Account

SENDING_ROLES = frozenset({"unit"})
OVERSIGHT_ROLES = frozenset({"agency", "province", "admin"})


def can_send_for(account: Account, unit_code: str | None) -> bool:
    return account.role == "unit" and unit_code is not None and unit_code == account.unit_code


def can_see_unit(account: Account, unit_code: str, on: dt.date | None = None) -> bool:
    """May ``account`` see the submissions of ``unit_code`` (the unit as it was ``on``)?"""
    if account.role == "admin":
        return True
    if account.role == "unit":
        return unit_code == account.unit_code
    if account.province_code is None:
        return False
    from gnbv.reference import load_reference

    ref = load_reference()
    versions = ref.unit_versions(unit_code)
    days = [on] if on else [u.valid_from for u in versions]
    return any(ref.province_of(unit_code, day) == account.province_code for day in days)


def has_role(account: Account, *roles: str) -> bool:
    return account.role in roles
