"""What the page benchmarks share: a migrated data folder, logged-in test
clients, and request timings printed as a Markdown table.

Pages are timed through Django's full request stack (the test client calls
the WSGI handler directly; no network): wall and CPU milliseconds per request,
median and p95 (CPU is the steadier figure on a shared machine). Imported by
the bench scripts beside it (``python bench/bench_care.py`` puts this folder on
the path).
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def timed(action: Callable[[], Any], n: int) -> tuple[list[float], list[float]]:
    """Wall and CPU milliseconds of ``n`` calls (after two warm-up calls)."""
    action()
    action()
    wall, cpu = [], []
    for _ in range(n):
        start, start_cpu = time.perf_counter(), time.process_time()
        action()
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return wall, cpu


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def django_in(data_dir: Path) -> None:
    """Django set up on ``data_dir`` (``DATABASE_URL`` wins when set), migrated,
    and answering the test client's host."""
    os.environ["GUANXI_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guanxi.config.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = ["testserver", *settings.ALLOWED_HOSTS]
    call_command("migrate", verbosity=0)


def bench_user(username: str, role: Any) -> Any:
    """The bench's staff user ``username``, made with ``role`` on first use."""
    from django.contrib.auth import get_user_model

    from guanxi.access.services import staff_user_create

    found = get_user_model().objects.filter(username=username).first()
    return found or staff_user_create(
        username=username, password="bench-pass-123", role=role
    )


def time_pages(cases: list[tuple[str, str, str]], requests: int) -> None:
    """Times each (label, username, url) ``requests`` times as that user (in
    Chinese) and prints one table row per case; a page that does not answer
    200 stops the bench."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    clients: dict[str, Client] = {}
    for username in {username for _, username, _ in cases}:
        client = Client(headers={"Accept-Language": "zh-hans"})
        client.force_login(get_user_model().objects.get(username=username))
        clients[username] = client
    print("| page | user | requests | wall p50 | wall p95 | CPU p50 | CPU p95 |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for label, username, url in cases:
        client = clients[username]

        def get(c: Client = client, u: str = url) -> None:
            answer = c.get(u)
            assert answer.status_code == 200, (u, answer.status_code)

        wall, cpu = timed(get, requests)
        print(
            f"| {label} | {username} | {requests} | "
            f"{statistics.median(wall):.1f} | {p95(wall):.1f} | "
            f"{statistics.median(cpu):.1f} | {p95(cpu):.1f} |"
        )
