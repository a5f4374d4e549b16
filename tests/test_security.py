"""Security properties of the code base itself: no secrets in the repository, and no SQL built
by pasting values into strings."""

from __future__ import annotations

import ast
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE_FOLDERS = ("gnbv", "ingest", "dags")

SECRET_PATTERNS = {
    "AWS access key": re.compile(r"AKIA[0-9A-Z]{16}"),
    "private key": re.compile(r"-----BEGIN (?:RSA |EC |OPENSSH |DSA )?PRIVATE KEY-----"),
    "password in a URL": re.compile(r"[a-z][a-z0-9+.-]*://[^:/\s'\"@]+:(?P<secret>[^@/\s'\"?{}]{3,})@"),
    "password assignment": re.compile(
        r"""(?i)\b(?:password|passwd|secret|api_key|token)\b\s*[:=]\s*['"](?!\s*['"]|\$\{|\{\{|<|change|example|\*)[^'"\s]{6,}['"]"""
    ),
}
# Words that stand for a secret in examples and templates, not secrets themselves (XXXXXXXXXX:
# how Superset masks a database password in its URIs and exports).
PLACEHOLDERS = re.compile(r"^(?:\*+|X{10}|pass|password|pw|secret|user:pass)$|\$\{|\{\{|<")

# Test fixtures that must contain what the patterns look for, named with their reason.
ALLOWED = {
    ("tests/test_security.py", "private key"),  # the pattern itself
    ("tests/test_warehouse.py", "password in a URL"),  # made-up credentials that redact() must hide
    ("tests/test_mail.py", "password in a URL"),  # made-up SMTP credentials the URL parser must decode
}


def _tracked_text_files() -> list[Path]:
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    files = []
    for name in listed.splitlines():
        path = ROOT / name
        if path.is_file() and path.stat().st_size < 2_000_000:
            try:
                path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue
            files.append(path)
    return files


def test_no_secret_is_committed() -> None:
    found = []
    for path in _tracked_text_files():
        relative = str(path.relative_to(ROOT))
        text = path.read_text(encoding="utf-8")
        for kind, pattern in SECRET_PATTERNS.items():
            if (relative, kind) in ALLOWED:
                continue
            for match in pattern.finditer(text):
                secret = match.groupdict().get("secret") or match.group(0)
                if not PLACEHOLDERS.search(secret):
                    found.append(f"{relative}: {kind}: {match.group(0)[:40]}")
    assert found == []


def test_no_env_file_is_committed() -> None:
    names = {p.name for p in _tracked_text_files()}
    assert ".env" not in names


def _sql_built_from_strings(path: Path) -> list[str]:
    """Calls to execute/executemany/copy whose SQL is an f-string, a concatenation, or str % / .format.

    Composition with psycopg.sql (``sql.SQL(...).format(sql.Identifier(...))``) is the safe way and
    is allowed."""
    offenders = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args):
            continue
        if node.func.attr not in ("execute", "executemany", "copy"):
            continue
        query = node.args[0]
        pasted = isinstance(query, (ast.JoinedStr, ast.BinOp))
        if isinstance(query, ast.Call) and isinstance(query.func, ast.Attribute) and query.func.attr == "format":
            composed = query.func.value
            pasted = not (isinstance(composed, ast.Call) and ast.unparse(composed.func).endswith("SQL"))
        if pasted:
            offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(query)[:80]}")
    return offenders


def test_sql_is_never_built_by_pasting_values_into_strings() -> None:
    offenders = [
        offender
        for folder in SOURCE_FOLDERS
        if (ROOT / folder).exists()
        for path in sorted((ROOT / folder).rglob("*.py"))
        for offender in _sql_built_from_strings(path)
    ]
    assert offenders == []


def test_credentials_come_only_from_the_environment() -> None:
    """The dbt profile the project writes holds no password: dbt reads it from an env var."""
    from gnbv.dbt import profile_yaml

    profile = profile_yaml({"host": "db", "port": 5432, "user": "gnbv", "dbname": "gnbv", "password": "s3cr3t-value"})
    assert "s3cr3t-value" not in profile
    assert "env_var('GNBV_DBT_PASSWORD'" in profile
