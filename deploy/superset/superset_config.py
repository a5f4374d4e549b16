"""Apache Superset's configuration for `gnbv bi` (loaded by Superset through SUPERSET_CONFIG_PATH).

Everything this instance keeps lives in GNBV_SUPERSET_STATE (``.gnbv/bi/superset/``, made by
gnbv/bi/superset.py): its own SQLite metadata database -- never the warehouse -- and the secret
key that encrypts the warehouse password Superset holds. The warehouse is reached only through
the read-only BI log-in (member of gnbv_bi), provisioned from deploy/superset/assets/.
"""

import os
from pathlib import Path

_STATE = Path(os.environ["GNBV_SUPERSET_STATE"])

SECRET_KEY = (_STATE / "secret_key").read_text(encoding="utf-8").strip()
SQLALCHEMY_DATABASE_URI = f"sqlite:///{_STATE / 'superset.db'}?check_same_thread=false"
DATA_DIR = str(_STATE)

APP_NAME = "GNBV — Giảm nghèo bền vững"

# Amounts read the Vietnamese way: 1.234.567 đồng, 24,71 %.
D3_FORMAT = {"decimal": ",", "thousands": ".", "grouping": [3], "currency": ["", " ₫"]}

# No cache between the marts and a chart: a rebuilt month shows at the next refresh.
CACHE_CONFIG = {"CACHE_TYPE": "NullCache"}
DATA_CACHE_CONFIG = {"CACHE_TYPE": "NullCache"}

# The limiter's in-memory store, said out loud (Superset warns otherwise).
RATELIMIT_STORAGE_URI = "memory://"

SQLLAB_TIMEOUT = 120
SUPERSET_WEBSERVER_TIMEOUT = 120

# Offline-ready: the browser loads nothing from elsewhere (the default policy lets Superset's
# page fetch a telemetry pixel, map tiles and web fonts from the internet).
TALISMAN_ENABLED = True
TALISMAN_CONFIG = {
    "content_security_policy": {
        "base-uri": ["'self'"],
        "default-src": ["'self'"],
        "img-src": ["'self'", "blob:", "data:"],
        "worker-src": ["'self'", "blob:"],
        "connect-src": ["'self'"],
        "object-src": "'none'",
        "style-src": ["'self'", "'unsafe-inline'"],
        "font-src": ["'self'", "data:"],
        "script-src": ["'self'", "'strict-dynamic'"],
    },
    "content_security_policy_nonce_in": ["script-src"],
    "force_https": False,
    "session_cookie_secure": False,
}

# Reporting status in the same colours on every chart: on time, late, missing (series in that
# order take the scheme's colours in that order).
EXTRA_CATEGORICAL_COLOR_SCHEMES = [
    {
        "id": "gnbvReportingStatus",
        "description": "Đúng hạn, trễ hạn, chưa nộp / on time, late, missing",
        "label": "GNBV: tình trạng nộp báo cáo / reporting status",
        "isDefault": False,
        "colors": ["#2E9E5B", "#F0A202", "#D7263D"],
    }
]
