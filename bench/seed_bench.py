"""Benchmark `kundenwert seed` against the raw bulk path of the same rows, in the same run.

For each database (PostgreSQL, SQLite) on a scratch database:
1. migrate, then time `kundenwert seed --customers N` (a subprocess, as a user runs it);
2. the reference: read the seeded organisation and person rows back and load them again with
   the raw bulk path into clone tables (PostgreSQL `COPY`, SQLite multi-row `INSERT` in one
   transaction): once without indexes (the physical limit) and once with the same indexes;
3. print rows/s and the ratios.

    .venv/bin/python bench/seed_bench.py --customers 1000000 [--db pg|sqlite|both] [--keep]

`--keep` leaves the PostgreSQL database for bench/api_bench.py.
"""

from __future__ import annotations

import argparse
import sqlite3
import time

from _common import (
    PG_BENCH_URL,
    SQLITE_BENCH_FILE,
    SQLITE_BENCH_URL,
    kundenwert,
    pg_drop,
    pg_recreate,
    sqlite_recreate,
)

TABLES = (
    "contacts_organization", "contacts_person", "contacts_affiliation",
    "contacts_organization_tags", "contacts_person_tags", "activities_activity",
    "activities_activity_organizations", "activities_activity_people",
)  # fmt: skip
RAW_TABLES = ("contacts_organization", "contacts_person")


def seed_args(opts) -> list[str]:
    return [
        "seed", "--customers", str(opts.customers), "--seed", "1",
        "--people-per-org", str(opts.people_per_org),
        "--activities-per-customer", str(opts.activities), "--b2c-share", str(opts.b2c),
        "--batch", str(opts.batch), "--no-progress",
    ]  # fmt: skip


def report(db: str, seconds: float, counts: dict[str, int], raw: dict[str, float]) -> None:
    total = sum(counts.values())
    main = counts["contacts_organization"] + counts["contacts_person"]
    print(f"\n== {db} ==")
    for table, n in counts.items():
        print(f"  {table:<36} {n:>10,}")
    print(
        f"  seed: {total:,} rows in {seconds:.1f} s = {total / seconds:,.0f} rows/s "
        f"(organisations + people: {main:,})"
    )
    for label, rate in raw.items():
        print(
            f"  {label}: {rate:,.0f} rows/s; seed/raw = {total / seconds / rate:.2f} "
            f"({rate / (total / seconds):.1f}x faster)"
        )


def bench_pg(opts) -> None:
    import psycopg

    pg_recreate()
    kundenwert(PG_BENCH_URL, "migrate", "-v0")
    seconds, out = kundenwert(PG_BENCH_URL, *seed_args(opts), capture=True)
    print(out.strip())
    url = PG_BENCH_URL.replace("postgres://", "postgresql://")
    raw: dict[str, float] = {}
    with psycopg.connect(url, autocommit=True) as conn:
        counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
        for variant, like in (
            ("no indexes", "INCLUDING DEFAULTS"),
            ("same indexes", "INCLUDING ALL"),
        ):
            rows = 0
            elapsed = 0.0
            for table in RAW_TABLES:
                data = bytearray()
                with conn.cursor().copy(f"COPY {table} TO STDOUT") as copy:
                    for chunk in copy:
                        data += chunk
                clone = f"bench_{table}"
                conn.execute(f"DROP TABLE IF EXISTS {clone}")
                conn.execute(f"CREATE TABLE {clone} (LIKE {table} {like})")
                started = time.perf_counter()
                with conn.transaction(), conn.cursor().copy(f"COPY {clone} FROM STDIN") as copy:
                    view = memoryview(data)
                    for start in range(0, len(view), 1 << 20):
                        copy.write(view[start : start + (1 << 20)])
                elapsed += time.perf_counter() - started
                rows += counts[table]
                conn.execute(f"DROP TABLE {clone}")
            raw[f"raw COPY of the organisation + person rows, {variant}"] = rows / elapsed
    report("PostgreSQL", seconds, counts, raw)
    if not opts.keep:
        pg_drop()


def bench_sqlite(opts) -> None:
    sqlite_recreate()
    kundenwert(SQLITE_BENCH_URL, "migrate", "-v0")
    seconds, out = kundenwert(SQLITE_BENCH_URL, *seed_args(opts), capture=True)
    print(out.strip())
    conn = sqlite3.connect(SQLITE_BENCH_FILE, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
    raw: dict[str, float] = {}
    for variant in ("no indexes", "same indexes"):
        rows = 0
        elapsed = 0.0
        for table in RAW_TABLES:
            data = conn.execute(f"SELECT * FROM {table}").fetchall()
            ncols = len(data[0])
            clone = f"bench_{table}"
            conn.execute(f"DROP TABLE IF EXISTS {clone}")
            conn.execute(f"CREATE TABLE {clone} AS SELECT * FROM {table} WHERE 0")
            if variant == "same indexes":
                for (sql,) in conn.execute(
                    "SELECT sql FROM sqlite_master WHERE type='index' AND tbl_name=? "
                    "AND sql IS NOT NULL",
                    [table],
                ).fetchall():
                    name = sql.split('"')[1] if '"' in sql.split(" ON ")[0] else sql.split()[2]
                    conn.execute(
                        sql.replace(name, f"bench_{name}", 1)
                        .replace(f'"{table}"', clone)
                        .replace(f" {table} ", f" {clone} ")
                        .replace(f" {table}(", f" {clone}(")
                    )
            per = max(1, min(500, 32000 // ncols))
            one = "(" + ", ".join("?" * ncols) + ")"
            started = time.perf_counter()
            conn.execute("BEGIN")
            for start in range(0, len(data), per):
                chunk = data[start : start + per]
                conn.execute(
                    f"INSERT INTO {clone} VALUES " + ", ".join([one] * len(chunk)),
                    [v for row in chunk for v in row],
                )
            conn.execute("COMMIT")
            elapsed += time.perf_counter() - started
            rows += len(data)
            conn.execute(f"DROP TABLE {clone}")
            del data
        raw[f"raw multi-row INSERT of the organisation + person rows, {variant}"] = rows / elapsed
    conn.close()
    report("SQLite", seconds, counts, raw)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--people-per-org", type=float, default=1.0)
    parser.add_argument("--activities", type=float, default=0.0)
    parser.add_argument("--b2c", type=float, default=0.0)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--db", choices=("pg", "sqlite", "both"), default="both")
    parser.add_argument("--keep", action="store_true", help="Keep the PostgreSQL bench database.")
    opts = parser.parse_args()
    print(
        f"seed --customers {opts.customers} --people-per-org {opts.people_per_org} "
        f"--activities-per-customer {opts.activities} --b2c-share {opts.b2c}"
    )
    if opts.db in {"pg", "both"}:
        bench_pg(opts)
    if opts.db in {"sqlite", "both"}:
        bench_sqlite(opts)


if __name__ == "__main__":
    main()
