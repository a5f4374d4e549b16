# The two commands of the README:
#   make demo   — set up (if needed) and run a full monthly cycle on SYNTHETIC sample data
#   make test   — set up (if needed) and run every check: lint, types, tests
.PHONY: setup demo test lint

setup:
	@scripts/bootstrap.sh

demo: setup
	.venv/bin/gnbv demo

lint: setup
	.venv/bin/ruff check gnbv ingest dags tests scripts
	.venv/bin/ruff format --check gnbv ingest dags tests scripts
	.venv/bin/mypy gnbv ingest dags

test: setup lint
	.venv/bin/python -m pytest -n 2 --dist loadfile -q
