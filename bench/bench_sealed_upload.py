"""Benchmark: what sealing an import upload at rest costs (guanxi.ingest.atrest).

On one orders CSV (``bench_import.generate``, 100,000 rows by default), in one
process over a fresh embedded database, alternating plain and sealed so both
see the same machine load:

* sealing the upload as the wizard stores it (64 KiB AES-GCM chunks);
* a dry-run import of the plain file and of the sealed one (read, parse,
  match: everything but the writes), the sealed one through the checking
  pass and the decrypting reader.

CPU seconds (this process and its forked parsing child) and wall seconds; the load average at the start.

Usage: ``python bench/bench_sealed_upload.py [--rows N] [--workdir DIR]``.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any


def _cpu() -> float:
    """CPU seconds of this process and of its children that have ended (a
    large orders file is parsed in a forked child: guanxi.ingest.parallel)."""
    t = os.times()
    return time.process_time() + t.children_user + t.children_system


def _timed(fn):  # type: ignore[no-untyped-def]
    cpu, wall = _cpu(), time.perf_counter()
    result = fn()
    return result, _cpu() - cpu, time.perf_counter() - wall


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workdir", default="/tmp/guanxi-bench-sealed")
    args = parser.parse_args()
    work = Path(args.workdir)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    os.environ["GUANXI_DATA_DIR"] = str(work / "data")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guanxi.config.settings")
    sys.path.insert(0, str(Path(__file__).parent))
    import django

    from bench_import import generate

    django.setup()
    from django.core.management import call_command

    from guanxi.core.sealedfile import CHUNK, SealedReader
    from guanxi.ingest.atrest import UPLOAD_CONTEXT, upload_sealed
    from guanxi.ingest.pipeline import import_run
    from guanxi.ingest.readers import open_table

    call_command("migrate", verbosity=0)
    plain = work / "orders.csv"
    generate(plain, args.rows)
    sealed = work / "orders.sealed"

    class _Upload:
        name = "orders.csv"

        def chunks(self, size: int):  # type: ignore[no-untyped-def]
            with plain.open("rb") as fh:
                while piece := fh.read(size):
                    yield piece

    def seal() -> None:
        with sealed.open("wb") as out:
            for piece in upload_sealed(_Upload()).chunks():
                out.write(piece)

    def dry(path: Path, is_sealed: bool):  # type: ignore[no-untyped-def]
        def run():  # type: ignore[no-untyped-def]
            raw = path.open("rb")
            stream = raw
            if is_sealed:
                reader = SealedReader(raw, context=UPLOAD_CONTEXT)
                reader.verify()
                stream = io.BufferedReader(reader, buffer_size=CHUNK)
            table = open_table(stream, filename="orders.csv")
            try:
                return import_run(
                    kind="orders", table=table, preset="generic", dry_run=True
                )
            finally:
                table.close()
                stream.close()

        return run

    def read_bytes(path: Path, is_sealed: bool):  # type: ignore[no-untyped-def]
        def run() -> int:
            with path.open("rb") as raw:
                stream: Any = raw
                if is_sealed:
                    reader = SealedReader(raw, context=UPLOAD_CONTEXT)
                    reader.verify()
                    stream = io.BufferedReader(reader, buffer_size=CHUNK)
                total = 0
                while piece := stream.read(CHUNK):
                    total += len(piece)
                return total

        return run

    print(f"load average at start: {os.getloadavg()}")
    print(f"file: {args.rows:,} rows, {plain.stat().st_size / 1e6:.1f} MB")
    print("| step | CPU s | wall s |")
    print("|---|---:|---:|")
    for _ in range(args.rounds):
        _r, cpu, wall = _timed(seal)
        print(f"| seal the upload | {cpu:.2f} | {wall:.2f} |")
        _n, cpu, wall = _timed(read_bytes(plain, False))
        print(f"| read the whole file once, plain | {cpu:.3f} | {wall:.3f} |")
        _n, cpu, wall = _timed(read_bytes(sealed, True))
        print(
            f"| check and read the whole file once, sealed | {cpu:.3f} | {wall:.3f} |"
        )
        report, cpu, wall = _timed(dry(plain, False))
        print(f"| dry-run import, plain file | {cpu:.2f} | {wall:.2f} |")
        assert report.rows == args.rows, report.rows
        report, cpu, wall = _timed(dry(sealed, True))
        print(f"| dry-run import, sealed file | {cpu:.2f} | {wall:.2f} |")
        assert report.rows == args.rows, report.rows
    print(f"load average at end: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
