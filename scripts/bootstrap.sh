#!/usr/bin/env bash
# Set up a fresh machine: uv (if missing), then the locked environment in .venv/.
# Needs only python3 (3.11 or 3.12) and PyPI. Idempotent and quick when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."

UV_VERSION=0.13.9
if command -v uv >/dev/null 2>&1; then
  UV=uv
else
  UV=.gnbv/bootstrap/bin/uv
  if [ ! -x "$UV" ]; then
    echo "bootstrap: installing uv ${UV_VERSION} into .gnbv/bootstrap" >&2
    python3 -m venv .gnbv/bootstrap
    .gnbv/bootstrap/bin/pip install --quiet --disable-pip-version-check "uv==${UV_VERSION}"
  fi
fi
# --compile-bytecode: uv installs sources only, and Python compiles a module at each import when
# it cannot write its cache (PYTHONDONTWRITEBYTECODE, a read-only install): GX, pandas and dbt
# then take seconds to import on every command. Already compiled files are left as they are.
"$UV" sync --frozen --quiet --compile-bytecode
