"""How fast the command line answers: ``gnbv --help``, every command's ``--help``, and a cold
``gnbv validate`` of one SYNTHETIC report (a new process, as a district officer runs it), each
timed from outside in a subprocess. Wall time from start to exit, and the CPU time the process
used (which the machine's load does not inflate)."""

from __future__ import annotations

import datetime as dt
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from gnbv import settings

COMMAND = [sys.executable, "-c", "from gnbv.cli import run; run()"]

_LIST_COMMANDS = """
import json, gnbv.cli
from gnbv.dev.bench.cli_timing import paths_of
print(json.dumps(paths_of(gnbv.cli.main)))
"""


def paths_of(command: Any, path: Sequence[str] = ()) -> list[list[str]]:
    """Every command path of a click ``command``, itself first: ``[]``, ``["airflow"]``,
    ``["airflow", "ui"]``, ... (click is imported here, so that importing this module does not)."""
    import click

    paths = [list(path)]
    if isinstance(command, click.Group):
        ctx = click.Context(command)
        for name in command.list_commands(ctx):
            paths += paths_of(command.get_command(ctx, name), [*path, name])
    return paths


def _timed(args: Sequence[str], env: Mapping[str, str]) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, exit code) of one run of ``gnbv args``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([*COMMAND, *args], env=dict(env), capture_output=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.returncode


def command_paths() -> list[list[str]]:
    import json

    out = subprocess.run([sys.executable, "-c", _LIST_COMMANDS], capture_output=True, text=True, check=True)
    return [list(p) for p in json.loads(out.stdout)]


def measure(*, repeats: int, sample: Path, database_url: str | None, echo: Callable[[str], None]) -> dict[str, Any]:
    """Medians over ``repeats`` of: ``gnbv --help``, the slowest command's ``--help``, a cold
    ``gnbv validate`` of ``sample`` (against ``database_url`` when given)."""
    import statistics

    env = dict(os.environ)
    if database_url:
        env[settings.DATABASE_URL.name] = database_url
    paths = command_paths()
    helps: dict[str, list[float]] = {}
    help_cpu: list[float] = []
    for _ in range(repeats):
        for path in paths:
            wall, cpu, _code = _timed([*path, "--help"], env)
            helps.setdefault(" ".join(["gnbv", *path]), []).append(wall)
            if not path:
                help_cpu.append(cpu)
    slowest = max(helps, key=lambda name: statistics.median(helps[name]))
    received = dt.datetime(2024, 3, 11, 9, 0).isoformat()
    validate: list[float] = []
    validate_cpu: list[float] = []
    verdict = 0
    for _ in range(repeats):
        wall, cpu, verdict = _timed(["validate", "--received-at", received, str(sample)], env)
        validate.append(wall)
        validate_cpu.append(cpu)
    figures = {
        "commands": len(paths),
        "help_s": helps["gnbv"],
        "help_cpu_s": help_cpu,
        "slowest_help": slowest,
        "slowest_help_s": helps[slowest],
        "validate_s": validate,
        "validate_cpu_s": validate_cpu,
        "validate_exit": verdict,
        "sample": sample.name,
    }
    echo(
        f"CLI: gnbv --help {statistics.median(helps['gnbv']):.2f}s, slowest --help ({slowest}) "
        f"{statistics.median(helps[slowest]):.2f}s of {len(paths)}, cold validate {statistics.median(validate):.2f}s"
    )
    return figures
