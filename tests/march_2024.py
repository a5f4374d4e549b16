"""The month most intake tests send for: Cao Bằng's March 2024, and a receipt time before its
deadline (districts report by the 12th)."""

from __future__ import annotations

import datetime as dt

from gnbv.dates import LOCAL_TZ

CAO_BANG = "04"
MARCH_2024 = dt.date(2024, 3, 1)
ON_TIME = dt.datetime(2024, 3, 10, 9, 0, tzinfo=LOCAL_TZ)
