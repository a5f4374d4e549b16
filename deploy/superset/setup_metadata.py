"""Set up Superset's metadata database: run inside Superset's own environment by `gnbv bi`
(gnbv/bi/superset.py), with SUPERSET_CONFIG_PATH pointing at superset_config.py.

The same three steps as ``superset db upgrade``, ``superset fab create-admin`` and ``superset
init``, in one process (each ``superset`` command alone spends several seconds importing
Superset). The admin's name and password come from the environment (GNBV_SUPERSET_ADMIN_USER,
GNBV_SUPERSET_ADMIN_PASSWORD), never from the command line, which other users can read.
Idempotent.
"""

import os
import sys

from superset.cli.main import superset


def _superset(*args: str) -> None:
    try:
        superset.main(list(args), prog_name="superset", standalone_mode=False)
    except SystemExit as done:
        if done.code not in (None, 0):
            raise


def main() -> int:
    user = os.environ["GNBV_SUPERSET_ADMIN_USER"]
    password = os.environ["GNBV_SUPERSET_ADMIN_PASSWORD"]
    _superset("db", "upgrade")
    _superset(
        "fab",
        "create-admin",
        "--username",
        user,
        "--firstname",
        "GNBV",
        "--lastname",
        "Admin",
        "--email",
        f"{user}@gnbv.invalid",
        "--password",
        password,
    )
    # an admin made before keeps its account but takes the password gnbv holds for it
    _superset("fab", "reset-password", "--username", user, "--password", password)
    _superset("init")
    return 0


if __name__ == "__main__":
    sys.exit(main())
