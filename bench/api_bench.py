"""Benchmark the organisation list API on the seeded PostgreSQL bench database (real server).

Needs the database left by `bench/seed_bench.py --db pg --keep` (1M organisations). Starts
`kundenwert serve` (gunicorn) on a free port with bench/bench_settings.py, which adds a raw-SQL
view of the same page (bench/bench_urls.py, not part of the product), then:

1. keyset pages of 50 at random depths: API (`GET /api/v1/organizations?cursor=…`, bearer token
   of admin) vs the raw-SQL view of the same page — p50/p99 latency and req/s with concurrent
   clients, and the ratio (goal: API p50 ≤ 2× raw);
2. `q` search through the API with realistic terms (name, email and phone fragments, VAT IDs) —
   p50/p99 (goal: p99 ≤ 100 ms).

    .venv/bin/python bench/api_bench.py [--requests 2000] [--clients 4] [--as admin]
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._common import KUNDENWERT, PG_BENCH_URL, ROOT

SECRET = "bench-only-secret-key-not-for-production-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def run_load(urls: list[str], headers: dict, clients: int) -> tuple[list[float], float]:
    """GET every url with `clients` threads; return latencies (ms) and requests/s."""
    latencies: list[float] = []
    lock = threading.Lock()
    queue = list(reversed(urls))
    errors: list[str] = []

    def worker() -> None:
        session = requests.Session()
        while True:
            with lock:
                if not queue:
                    return
                url = queue.pop()
            started = time.perf_counter()
            response = session.get(url, headers=headers, timeout=60)
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                errors.append(f"{response.status_code} {url} {response.text[:200]}")
            with lock:
                latencies.append(elapsed)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    if errors:
        raise SystemExit(f"{len(errors)} failed requests, e.g. {errors[0]}")
    return latencies, len(urls) / wall


def show(label: str, latencies: list[float], rate: float | None = None) -> float:
    p50, p99 = statistics.median(latencies), percentile(latencies, 99)
    extra = f", {rate:,.0f} req/s" if rate is not None else ""
    print(f"  {label:<44} p50 {p50:7.2f} ms  p99 {p99:7.2f} ms{extra}  (n={len(latencies)})")
    return p50


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--search-requests", type=int, default=400)
    parser.add_argument("--as", dest="username", default="admin")
    parser.add_argument("--workers", type=int, default=2)
    opts = parser.parse_args()

    env = {
        **os.environ,
        "DATABASE_URL": PG_BENCH_URL,
        "SECRET_KEY": SECRET,
        "DJANGO_SETTINGS_MODULE": "bench.bench_settings",
        "PYTHONPATH": str(ROOT),
    }
    os.environ.update(env)
    import django

    django.setup()
    from django.db import connection

    from kundenwert.core.pagination import encode_cursor

    rng = random.Random(42)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM contacts_organization")
        total = cursor.fetchone()[0]
        cursor.execute("SELECT max(id) FROM contacts_organization")
        max_id = cursor.fetchone()[0]
        # Random depths: the (name, id) of random organisations start the pages.
        ids = [rng.randint(1, max_id) for _ in range(opts.requests)]
        cursor.execute("SELECT id, name FROM contacts_organization WHERE id = ANY(%s)", [ids])
        starts = cursor.fetchall()
        cursor.execute(
            "SELECT vat_id, emails->>0, phones->>0, name FROM contacts_organization "
            "WHERE vat_id <> '' AND id = ANY(%s)",
            [ids[:200]],
        )
        samples = cursor.fetchall()
    connection.close()
    rng.shuffle(starts)
    print(f"PostgreSQL bench database: {total:,} organisations; {len(starts)} random start rows")

    token = subprocess.run(
        [KUNDENWERT, "token", "create", opts.username, "--name", "bench"], env=env, check=True,
        text=True, capture_output=True, cwd=ROOT,
    ).stdout.strip()  # fmt: skip
    port = free_port()
    server = subprocess.Popen(
        [KUNDENWERT, "serve", "--port", str(port), "--workers", str(opts.workers)],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {token}"}
    try:
        for _ in range(200):
            try:
                if (
                    requests.get(
                        f"{base}/api/v1/organizations?limit=1", headers=headers, timeout=5
                    ).status_code
                    == 200
                ):
                    break
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        else:
            raise SystemExit("The server did not start.")
        api_urls = [
            f"{base}/api/v1/organizations?limit=50&cursor={encode_cursor('name', [name, pk])}"
            for pk, name in starts
        ]
        raw_urls = [
            f"{base}/bench/raw-organizations?limit=50&"
            + requests.compat.urlencode({"name": name, "id": pk})
            for pk, name in starts
        ]
        # Warm up both paths (connections, caches), then measure each on the same pages.
        run_load(api_urls[:100], headers, opts.clients)
        run_load(raw_urls[:100], headers, opts.clients)
        print(
            f"\n== keyset pages of 50 at random depth, {opts.clients} concurrent clients, "
            f"{opts.workers} gunicorn workers, as {opts.username} =="
        )
        api_lat, api_rate = run_load(api_urls, headers, opts.clients)
        raw_lat, raw_rate = run_load(raw_urls, headers, opts.clients)
        api_p50 = show("API /api/v1/organizations", api_lat, api_rate)
        raw_p50 = show("raw-SQL view, same page", raw_lat, raw_rate)
        print(
            f"  ratio API/raw: p50 {api_p50 / raw_p50:.2f}x (goal <= 2x), "
            f"throughput {raw_rate / api_rate:.2f}x"
        )

        terms: list[str] = [
            "müller",
            "logistik",
            "hansa",
            "consult",
            "schmidt & ",
            "harbour",
            "engineering",
            "info@weser",
            "vertrieb@",
            "hello@blue",
        ]
        for vat, email, phone, name in samples[:30]:
            terms += [vat, email.split("@")[1][:10], phone[3:10], name[:8].lower()]
        urls = [
            f"{base}/api/v1/organizations?limit=50&" + requests.compat.urlencode({"q": t})
            for t in terms
        ]
        urls = [rng.choice(urls) for _ in range(opts.search_requests)]
        run_load(urls[:50], headers, 1)
        print(f"\n== q search through the API ({len(set(terms))} terms, {len(urls)} requests) ==")
        lat1, rate1 = run_load(urls, headers, 1)
        show("1 client", lat1, rate1)
        lat4, rate4 = run_load(urls, headers, opts.clients)
        p99 = percentile(lat4, 99)
        show(f"{opts.clients} clients", lat4, rate4)
        print(
            f"  p99 {percentile(lat1, 99):.1f} ms (1 client), {p99:.1f} ms "
            f"({opts.clients} clients); goal <= 100 ms"
        )
        slow = sorted(zip(lat1, urls, strict=True), reverse=True)[:5]
        print("  slowest (1 client):")
        for ms, url in slow:
            print(f"    {ms:7.1f} ms  {requests.utils.unquote(url.split('?', 1)[1])}")
    finally:
        server.terminate()
        server.wait(timeout=30)
        subprocess.run(
            [KUNDENWERT, "token", "revoke", token], env=env, cwd=ROOT, capture_output=True
        )


if __name__ == "__main__":
    main()
