"""What the command lines' options share: a reporting month typed as ``YYYY-MM``, read by the one
period parser (``gnbv.dates``) and refused as click refuses a bad option.

Only click and the standard library at module level (tests/test_cli_imports.py)."""

from __future__ import annotations

import datetime as dt

import click

from gnbv.dates import PeriodError, parse_period


def reporting_month(value: str) -> dt.date:
    """``"2024-03"`` → ``date(2024, 3, 1)``; anything else: a usage error naming the format."""
    try:
        return parse_period(value)
    except PeriodError as err:
        raise click.BadParameter(str(err)) from None
