"""``gnbv portal --demo``: accounts to try the portal with on the sample province (Cao Bằng, 04):
an officer of xã Bảo Lâm (01290, a commune: communes report since the 2025 reform), a lead
agency and the province office. Each password is
generated and shown once; running it again resets the demo accounts' passwords."""

from __future__ import annotations

from gnbv.portal import accounts
from gnbv.portal.database import owner_connect

PROVINCE = "04"
DEMO_ACCOUNTS = (
    ("demo-donvi", "unit", {"unit": "01290"}, "cán bộ xã Bảo Lâm / officer of Bảo Lâm commune (01290)"),
    ("demo-coquan", "agency", {"agency": "BDT", "province": PROVINCE}, "cơ quan chủ trì / lead agency"),
    ("demo-tinh", "province", {"province": PROVINCE}, "Sở LĐTBXH tỉnh Cao Bằng / the province office"),
)


def create_demo_accounts() -> list[str]:
    """The lines to print: each demo account with its new password."""
    lines = ["Tài khoản thử / demo accounts (mật khẩu chỉ hiện một lần / passwords shown once):"]
    with owner_connect() as conn:
        for name, role, scope, what in DEMO_ACCOUNTS:
            password = accounts.generate_password()
            if accounts.find(conn, name) is None:
                accounts.add(conn, name, role, password, **scope)
            else:
                accounts.reset(conn, name, password)
            lines.append(f"  {name:12} {password}   {what}")
    return lines
