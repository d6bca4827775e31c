"""The automatic tags' writing (``AutomaticTagWriter.finish``) on PostgreSQL,
its statements timed one by one, the first version's ("old") against this
one's ("new"), each in a transaction rolled back; the backend's CPU from /proc
(run it on the database server's machine). Results: docs/benchmarks/tags.md.

Schema ``x`` (made by hand, see tags.md): ``x.links`` like
``customers_customertag`` (same indexes and deferred foreign keys to the real
customers, tags and users, the manual links copied) and ``x.wanted``, the
automatic links of the SQLite run of the same data: a first run, every link
new. ``LINKS=public.customers_customertag WANTED="source='automatic'"``: the
real table, wanted = its automatic links (a run of the same date again).

    DATABASE_URL=postgres://… python bench/bench_tags_finish_pg.py old|new|recount LIMIT [explain]

LIMIT: only customers with id ≤ LIMIT (0: all).
"""

import os
import sys
import time
from pathlib import Path

import psycopg

URL = os.environ["DATABASE_URL"]
TICK = os.sysconf("SC_CLK_TCK")


def cpu(pid):
    f = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / TICK


AUTO = "SELECT id FROM public.customers_tag WHERE kind = 'automatic'"
STAMP = "'2026-12-06 08:00:00+00'"

LINKS = os.environ.get("LINKS", "x.links")
WANTED = os.environ.get("WANTED", "x.wanted")


SOURCE = "x.wanted" if WANTED == "x.wanted" else "public.customers_customertag"


def fill(limit):
    where = f"WHERE customer_id <= {limit}" if limit else ""
    if WANTED != "x.wanted":
        where = (where + " AND " if where else "WHERE ") + WANTED
    return [
        "DROP TABLE IF EXISTS pg_temp.w",
        "CREATE TEMP TABLE w (customer_id BIGINT NOT NULL, tag_id BIGINT NOT NULL)",
        f"INSERT INTO w SELECT customer_id, tag_id FROM {SOURCE} {where}",
    ]


OLD = [
    "CREATE TEMP TABLE w_u AS SELECT DISTINCT customer_id, tag_id FROM w",
    "DROP TABLE w",
    "ALTER TABLE w_u RENAME TO w",
    "ALTER TABLE w ADD PRIMARY KEY (customer_id, tag_id)",
    "ANALYZE w",
    "SELECT COUNT(*) FROM w",
    f"DELETE FROM {LINKS} WHERE tag_id IN ({AUTO}) AND NOT EXISTS (SELECT 1 FROM w WHERE w.customer_id = {LINKS}.customer_id AND w.tag_id = {LINKS}.tag_id)",
    f"INSERT INTO {LINKS} (customer_id, tag_id, source, added_by_id, added_at) SELECT w.customer_id, w.tag_id, 'automatic', NULL, {STAMP} FROM w WHERE NOT EXISTS (SELECT 1 FROM {LINKS} l WHERE l.customer_id = w.customer_id AND l.tag_id = w.tag_id)",
]

NEW = [
    "SELECT set_config('work_mem', '512MB', true)",
    "ANALYZE w",
    f"DELETE FROM {LINKS} WHERE tag_id IN ({AUTO}) AND NOT EXISTS (SELECT 1 FROM w WHERE w.customer_id = {LINKS}.customer_id AND w.tag_id = {LINKS}.tag_id)",
    f"INSERT INTO {LINKS} (customer_id, tag_id, source, added_by_id, added_at) SELECT w.customer_id, w.tag_id, 'automatic', NULL, {STAMP} FROM w WHERE NOT EXISTS (SELECT 1 FROM {LINKS} l WHERE l.customer_id = w.customer_id AND l.tag_id = w.tag_id) GROUP BY w.customer_id, w.tag_id ORDER BY w.customer_id, w.tag_id",
]

RECOUNT = [
    f"UPDATE public.customers_tag SET customer_count = (SELECT COUNT(*) FROM {LINKS} l WHERE l.tag_id = public.customers_tag.id)",
    f"UPDATE public.customers_tag t SET customer_count = COALESCE(c.n, 0) FROM public.customers_tag t2 LEFT JOIN (SELECT tag_id, COUNT(*) AS n FROM {LINKS} GROUP BY tag_id) c ON c.tag_id = t2.id WHERE t.id = t2.id",
]

VARIANTS = {"old": OLD, "new": NEW, "recount": RECOUNT}


def run(name, limit, explain=False, commit=False):
    with psycopg.connect(URL, autocommit=False) as db:
        pid = db.execute("SELECT pg_backend_pid()").fetchone()[0]
        for sql in fill(limit):
            db.execute(sql)
        db.commit() if False else None
        c0, t0 = cpu(pid), time.perf_counter()
        for sql in VARIANTS[name]:
            s0, w0 = cpu(pid), time.perf_counter()
            if explain and sql.startswith(("INSERT", "DELETE")):
                cur = db.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                print("\n".join(r[0] for r in cur.fetchall()))
            else:
                cur = db.execute(sql)
            print(
                f"  {time.perf_counter() - w0:7.1f} s wall {cpu(pid) - s0:7.1f} s cpu rows {cur.rowcount:>9}  {sql[:90]}",
                flush=True,
            )
        s0, w0 = cpu(pid), time.perf_counter()
        db.execute("SET CONSTRAINTS ALL IMMEDIATE")
        print(
            f"  {time.perf_counter() - w0:7.1f} s wall {cpu(pid) - s0:7.1f} s cpu  deferred foreign keys",
            flush=True,
        )
        print(
            f"{name} limit={limit}: {time.perf_counter() - t0:.1f} s wall, {cpu(pid) - c0:.1f} s backend CPU, load {os.getloadavg()[0]:.1f}",
            flush=True,
        )
        if commit:
            db.commit()
        else:
            db.rollback()


if __name__ == "__main__":
    run(
        sys.argv[1],
        int(sys.argv[2]),
        explain="explain" in sys.argv,
        commit="commit" in sys.argv,
    )
