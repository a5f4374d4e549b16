"""The portal's warm verdict: ``uploads`` ordinary workbooks sent to ``POST /api/v1/submissions``
by ``concurrency`` scripts at once, on a portal served here (uvicorn, one process) over its own
benchmark database; the time of each answer, p50 and p95.

Each workbook is a different commune's SYNTHETIC report of Cao Bằng (04) for the newest open
month, sent with that commune's token, so every answer is a real verdict (accepted), not a
duplicate. One upload before the measure warms the server (reference data, Great Expectations).

``gnbv bench`` measures it in a child process of its own (``gnbv.dev.bench.child``'s ``portal``:
``measure_portal`` on the benchmark's database and copy of the GX project), beside the rest of
the run. ``python -m gnbv.dev.bench.portal`` measures it alone, on a benchmark database of its own
(``portal_verdicts``). The CPU time is the benchmark process's — the server and its client
threads — so that a busy machine can be told from a slow portal.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROVINCE = "04"
TARGET_P95_S = 1.0


@dataclass(frozen=True)
class PortalBench:
    uploads: int
    concurrency: int
    p50_s: float
    p95_s: float
    max_s: float
    wall_s: float
    verdicts: dict[str, int]
    cpu_s: float = 0.0  # of the process (server and clients) while the uploads were sent
    intake_calls: int = 0  # the portal's intake calls for them (uploads arriving together share one)

    @property
    def meets_target(self) -> bool:
        return self.p95_s <= TARGET_P95_S

    def line(self) -> str:
        counts = ", ".join(f"{n} {v}" for v, n in sorted(self.verdicts.items()))
        return (
            f"portal verdicts: {self.uploads} uploads, {self.concurrency} at once: p50 {self.p50_s:.2f} s,"
            f" p95 {self.p95_s:.2f} s, max {self.max_s:.2f} s, {self.wall_s:.1f} s in all, CPU {self.cpu_s:.1f} s,"
            f" {self.intake_calls} intake calls ({counts});"
            f" target p95 ≤ {TARGET_P95_S:.0f} s: {'met' if self.meets_target else 'MISSED'}"
        )


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def portal_verdicts(*, uploads: int = 50, concurrency: int = 4, keep_db: bool = False) -> PortalBench:
    """The measure alone: on a benchmark database and a copy of the GX project of its own."""
    from gnbv.dev.bench.database import bench_database
    from gnbv.dev.bench.runner import isolated_gx_project

    with (
        bench_database(keep=keep_db, name=os.environ.get("GNBV_BENCH_DATABASE", "gnbv_bench")),
        tempfile.TemporaryDirectory(prefix="gnbv-bench-portal-") as folder,
    ):
        return measure_portal(
            uploads=uploads, concurrency=concurrency, gx_project=isolated_gx_project(Path(folder)), folder=Path(folder)
        )


def measure_portal(
    *, uploads: int = 50, concurrency: int = 4, gx_project: Path | None = None, folder: Path
) -> PortalBench:
    """The measure on the (benchmark) database in force: accounts, a served portal, the uploads."""
    import httpx
    import uvicorn

    from gnbv.dev.samples.province import generate_sample_month
    from gnbv.migrate import apply_migrations
    from gnbv.orchestration.calendar import LOCAL_TZ, open_periods
    from gnbv.portal import accounts
    from gnbv.portal import uploads as portal_uploads
    from gnbv.portal.app import create_app
    from gnbv.portal.database import owner_connect
    from gnbv.portal.serving import server_config
    from ingest import gate

    if gx_project is not None:  # its validations and Data Docs go there, not into the user's project
        gate.EXPECTATIONS_DIR = gx_project
        gate._checkpoint.cache_clear()
    period = max(open_periods(dt.datetime.now(LOCAL_TZ)))
    files = generate_sample_month(PROVINCE, period, folder / "samples", variations=False, fmt="xlsx")
    if len(files) < uploads + 1:
        raise ValueError(f"only {len(files)} sample units: at most {len(files) - 1} uploads")
    tokens: list[tuple[Path, str]] = []
    with owner_connect() as conn:
        apply_migrations(conn)  # a database made again in this process is not migrated by connect()
        for index, sample in enumerate(files[: uploads + 1]):
            name = f"bench-{index}"
            accounts.add(conn, name, "unit", accounts.generate_password(), unit=sample.unit_code)
            tokens.append((sample.path, accounts.new_token(conn, name)))
    server = uvicorn.Server(server_config(create_app(), host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    url = f"http://127.0.0.1:{port}/api/v1/submissions"

    def send(item: tuple[Path, str]) -> tuple[float, str]:
        path, token = item
        started = time.perf_counter()
        with path.open("rb") as f:
            answer = httpx.post(
                url,
                headers={"Authorization": f"Bearer {token}"},
                data={"period": f"{period:%Y-%m}"},
                files={"file": (path.name, f)},
                timeout=120,
            )
        body: dict[str, Any] = answer.json()
        return time.perf_counter() - started, str(body.get("verdict"))

    try:
        send(tokens[0])  # warm-up
        calls_before = portal_uploads.intake.calls
        started, cpu_before = time.perf_counter(), time.process_time()
        with ThreadPoolExecutor(concurrency) as pool:
            results = list(pool.map(send, tokens[1:]))
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu_before
        calls = portal_uploads.intake.calls - calls_before
    finally:
        server.should_exit = True
        thread.join(timeout=30)
    times = [t for t, _ in results]
    verdicts: dict[str, int] = {}
    for _, verdict in results:
        verdicts[verdict] = verdicts.get(verdict, 0) + 1
    return PortalBench(
        uploads=len(times),
        concurrency=concurrency,
        p50_s=statistics.median(times),
        p95_s=_percentile(times, 0.95),
        max_s=max(times),
        wall_s=wall,
        verdicts=verdicts,
        cpu_s=cpu,
        intake_calls=calls,
    )


if __name__ == "__main__":
    print(portal_verdicts().line())
