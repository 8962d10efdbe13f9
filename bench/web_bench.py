"""Benchmark the organisation list page of the web UI against the JSON API list (real server).

On its own scratch database (PostgreSQL `kundenwert_webbench` by default; `--db sqlite` or
`both` for the SQLite file too), migrated and seeded with the real `kundenwert seed --customers N`
(100k organisations by default; a database kept by `--keep` with the same N is reused), starts
`kundenwert serve` (gunicorn, 2 workers by default) on a free port with bench/bench_settings.py
(the product's settings, DEBUG off), signs each client in through the real login form, and
measures in the same run, with 1 and N concurrent clients:

1. the page `/organizations/` (first page, 50 rows) and the same page at random depths
   (`?cursor=…`, a keyset cursor after a random organisation, as the page's "Show more" link);
2. the "Show more" fragment htmx fetches at the same depths (`HX-Request: true`);
3. the reference: the JSON API list `/api/v1/organizations?limit=50` (bearer token) on the same
   first page and the same cursors.

Every response must be 200 with 50 rows (page and API show the same organisations at the same
cursor: checked before the load). Prints req/s, p50, p99, the ratio page/API, the CPU each
request cost in the server, PostgreSQL and the load client, and the goal (page ≥ 150 req/s with
N clients).

    .venv/bin/python bench/web_bench.py [--customers 100000] [--db pg|sqlite|both]
        [--requests 1000] [--clients 4] [--workers 2] [--threads 4] [--as admin] [--keep]
"""

from __future__ import annotations

import argparse
import html
import http.client
import json
import os
import random
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urljoin

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._common import KUNDENWERT, PG_ADMIN_URL, ROOT, kundenwert

SECRET = "bench-only-secret-key-not-for-production-0123456789abcdef"
PG_DB = os.environ.get("BENCH_WEB_PG_DB", "kundenwert_webbench")
PG_URL = f"postgres://postgres@127.0.0.1:5432/{PG_DB}"
SQLITE_FILE = Path(os.environ.get("BENCH_WEB_SQLITE_FILE", "/tmp/kundenwert_webbench.sqlite3"))
SQLITE_URL = f"sqlite:///{SQLITE_FILE}"
DEMO_PASSWORD = "demo"  # kundenwert.ops.seed.DEMO_PASSWORD
GOAL_RATE = 150.0
ROWS = 50
# Each row of web/entity/_rows.html starts with its bulk-selection checkbox.
PAGE_ROW = re.compile(rb'<input type="checkbox" name="ids" value="(\d+)"')
TICK = os.sysconf("SC_CLK_TCK")


# --- scratch databases ------------------------------------------------------------------------


def _pg_admin(sql: str) -> list[tuple]:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        cursor = conn.execute(sql)
        return cursor.fetchall() if cursor.description else []


def _seeded_count(db: str) -> int | None:
    """Organisations in the kept scratch database, or None if there is none to reuse."""
    try:
        if db == "pg":
            if not _pg_admin(f"SELECT 1 FROM pg_database WHERE datname = '{PG_DB}'"):
                return None
            import psycopg

            with psycopg.connect(PG_URL.replace("postgres://", "postgresql://")) as conn:
                return conn.execute("SELECT count(*) FROM contacts_organization").fetchone()[0]
        if not SQLITE_FILE.exists():
            return None
        with sqlite3.connect(SQLITE_FILE) as conn:
            return conn.execute("SELECT count(*) FROM contacts_organization").fetchone()[0]
    except Exception:  # no such table, a half-created database: start afresh
        return None


def prepare(db: str, url: str, customers: int) -> None:
    """Reuse the kept database if it holds exactly `customers` organisations; else seed anew."""
    if _seeded_count(db) == customers:
        print(f"  reusing the kept database ({customers:,} organisations)")
        kundenwert(url, "migrate", "-v0")
        return
    drop(db)
    if db == "pg":
        _pg_admin(f"CREATE DATABASE {PG_DB}")
    kundenwert(url, "migrate", "-v0")
    seconds, out = kundenwert(
        url, "seed", "--customers", str(customers), "--seed", "1", "--no-progress", capture=True
    )
    print(f"  {out.strip().splitlines()[0]}  (seed command: {seconds:.1f} s)")


def drop(db: str) -> None:
    if db == "pg":
        _pg_admin(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
    else:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{SQLITE_FILE}{suffix}").unlink(missing_ok=True)


def start_rows(db: str, n: int, rng: random.Random) -> tuple[int, list[tuple[int, str]]]:
    """Return the number of active organisations and `n` random (id, name) to start pages after.

    The last 2×50 in list order are left out, so every page after a start has 50 rows.
    """
    sql = "SELECT id, name FROM contacts_organization WHERE archived_at IS NULL ORDER BY name, id"
    if db == "pg":
        import psycopg

        with psycopg.connect(PG_URL.replace("postgres://", "postgresql://")) as conn:
            rows = conn.execute(sql).fetchall()
    else:
        with sqlite3.connect(SQLITE_FILE) as conn:
            rows = conn.execute(sql).fetchall()
    candidates = rows[: -2 * ROWS]
    return len(rows), [candidates[rng.randrange(len(candidates))] for _ in range(n)]


# --- CPU accounting from /proc ----------------------------------------------------------------


def _cpu_seconds(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds used so far) of a process, or None if it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()  # the command name may hold spaces
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def cpu_snapshot(server_pid: int, database: str | None) -> dict:
    """CPU seconds so far: per server process, per PostgreSQL backend of `database`, this
    client, and the whole machine (busy and total)."""
    procs = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (stat := _cpu_seconds(int(entry))):
            procs[int(entry)] = stat
    server = {server_pid}
    for _ in range(3):  # gunicorn master → workers (→ anything they start)
        server |= {pid for pid, (ppid, _cpu) in procs.items() if ppid in server}
    # A backend calls itself "postgres: USER DATABASE HOST(PORT) STATE".
    marker = f" {database} ".encode() if database else None
    backends = {
        pid for pid in procs if marker and _cmdline(pid).startswith(b"postgres:")
        and marker in _cmdline(pid)
    }  # fmt: skip
    with open("/proc/stat") as f:
        cpu = [int(v) for v in f.readline().split()[1:]]
    return {
        "server": {p: procs[p][1] for p in server if p in procs},
        "postgres": {p: procs[p][1] for p in backends},
        "client": time.process_time(),
        "busy": (sum(cpu) - cpu[3] - cpu[4]) / TICK,
        "all": sum(cpu) / TICK,
    }


def cpu_used(before: dict, after: dict, requests: int) -> dict[str, float]:
    """CPU ms per request of the server, its PostgreSQL backends and the client, and the share
    of the machine that other processes took meanwhile (a busy machine lowers the figures)."""

    def delta(part: str) -> float:  # processes that ended in between are not counted
        return sum(cpu - before[part].get(pid, 0.0) for pid, cpu in after[part].items())

    ours = delta("server") + delta("postgres") + after["client"] - before["client"]
    busy = after["busy"] - before["busy"]
    return {
        "server": delta("server") * 1000 / requests,
        "postgres": delta("postgres") * 1000 / requests,
        "client": (after["client"] - before["client"]) * 1000 / requests,
        "others": max(0.0, busy - ours) / max(after["all"] - before["all"], 1e-9),
    }


# --- load -------------------------------------------------------------------------------------


class Client:
    """One keep-alive HTTP connection (lighter than requests: the client shares the 2 cores)."""

    def __init__(self, port: int, headers: dict[str, str]) -> None:
        self.port = port
        self.headers = headers
        self.conn: http.client.HTTPConnection | None = None

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                self.conn.request("GET", path, headers={**self.headers, **(headers or {})})
                response = self.conn.getresponse()
                body = response.read()
            except (http.client.RemoteDisconnected, ConnectionError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
                continue
            if response.will_close:
                self.conn.close()
                self.conn = None
            return response.status, body
        raise AssertionError("unreachable")


@dataclass
class Result:
    latencies: list[float]
    rate: float
    cpu: dict[str, float]  # CPU ms per request by part, and the share other processes took

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies)

    @property
    def p99(self) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def run_load(
    clients: list[Client],
    paths: list[str],
    check,
    server: tuple[int, str | None],
    headers: dict | None = None,
) -> Result:
    """GET every path with one thread per client; every answer must pass `check(status, body)`.

    `server` is the pid of `kundenwert serve` and the PostgreSQL database it uses (or None).
    """
    server_pid, database = server
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    queue = list(reversed(paths))

    def worker(client: Client) -> None:
        while True:
            with lock:
                if not queue or errors:
                    return
                path = queue.pop()
            started = time.perf_counter()
            status, body = client.get(path, headers)
            elapsed = (time.perf_counter() - started) * 1000
            problem = check(status, body)
            with lock:
                latencies.append(elapsed)
                if problem:
                    errors.append(f"{path}: {problem}")

    threads = [threading.Thread(target=worker, args=(c,)) for c in clients]
    before = cpu_snapshot(server_pid, database)
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    after = cpu_snapshot(server_pid, database)
    if errors:
        raise SystemExit(f"{len(errors)} bad responses, e.g. {errors[0]}")
    return Result(latencies, len(paths) / wall, cpu_used(before, after, len(paths)))


def page_check(status: int, body: bytes) -> str | None:
    if status != 200:
        return f"status {status}: {body[:300]!r}"
    rows = body.count(b'name="ids"')
    return None if rows == ROWS else f"{rows} rows, not {ROWS}"


def api_check(status: int, body: bytes) -> str | None:
    if status != 200:
        return f"status {status}: {body[:300]!r}"
    rows = body.count(b'"legal_form"')  # one per item; the full parse is in verify()
    return None if rows == ROWS else f"{rows} rows, not {ROWS}"


# --- the server and signing in ----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sign_in(base: str, username: str) -> str:
    """Sign in through the login form like a browser; return the Cookie header of the session."""
    session = requests.Session()
    form = session.get(f"{base}/accounts/login/", timeout=30)
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
    if form.status_code != 200 or not match:
        raise SystemExit(f"The login page did not answer with a form ({form.status_code}).")
    response = session.post(
        f"{base}/accounts/login/",
        data={
            "username": username,
            "password": DEMO_PASSWORD,
            "csrfmiddlewaretoken": match.group(1),
            "next": "/organizations/",
        },
        headers={"Referer": f"{base}/accounts/login/"},
        allow_redirects=False,
        timeout=30,
    )
    if response.status_code != 302 or "sessionid" not in session.cookies:
        raise SystemExit(
            f"Signing in as {username} failed ({response.status_code}); the demo password is "
            f"{DEMO_PASSWORD!r}. {response.text[:300]}"
        )
    return "; ".join(f"{c.name}={c.value}" for c in session.cookies)


def verify(page: Client, api: Client, cursors: list[str]) -> None:
    """Fail unless the page and the API show the same 50 organisations on the pages measured."""
    status, body = page.get("/organizations/")
    if problem := page_check(status, body):
        raise SystemExit(f"/organizations/: {problem}")
    more = re.search(rb'<tr class="more-row">.*?href="([^"]+)"', body, re.S)
    if not more:
        raise SystemExit("/organizations/ has no 'Show more' link.")
    first_ids = PAGE_ROW.findall(body)
    status, body = page.get(urljoin("/organizations/", html.unescape(more.group(1).decode())))
    if problem := page_check(status, body):
        raise SystemExit(f"the 'Show more' link: {problem}")
    if set(PAGE_ROW.findall(body)) & set(first_ids):
        raise SystemExit("The 'Show more' link repeats rows of the first page.")
    for cursor in [None, *cursors]:
        query = f"?{urlencode({'cursor': cursor})}" if cursor else ""
        status, body = page.get(f"/organizations/{query}")
        if problem := page_check(status, body):
            raise SystemExit(f"/organizations/{query}: {problem}")
        page_ids = [int(i) for i in PAGE_ROW.findall(body)]
        sep = "&" if query else "?"
        status, raw = api.get(f"/api/v1/organizations{query}{sep}limit={ROWS}")
        if status != 200:
            raise SystemExit(f"API {query}: status {status}")
        api_ids = [item["id"] for item in json.loads(raw)["items"]]
        if api_ids != page_ids:
            raise SystemExit(f"Page and API differ at {query or 'the first page'}.")


def wait_for(base: str, server: subprocess.Popen) -> None:
    for _ in range(300):
        if server.poll() is not None:
            raise SystemExit(f"The server exited with {server.returncode}.")
        try:
            if requests.get(f"{base}/accounts/login/", timeout=5).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    raise SystemExit("The server did not start.")


# --- report -----------------------------------------------------------------------------------


def show(label: str, result: Result, db: str) -> None:
    cpu = result.cpu
    # SQLite runs inside the server's processes: its CPU is in the server's figure.
    database = f"postgres {cpu['postgres']:4.2f}, " if db == "pg" else ""
    print(
        f"  {label:<30} {result.rate:6.1f} req/s  p50 {result.p50:6.2f} ms  "
        f"p99 {result.p99:6.2f} ms  CPU/req ms: server {cpu['server']:5.2f}, {database}"
        f"client {cpu['client']:4.2f}; others took {cpu['others']:3.0%}"
    )


def bench(db: str, url: str, opts) -> dict[int, dict[str, Result]]:
    # Django is set up in main(): the cursors are signed with the server's SECRET_KEY.
    from kundenwert.core.pagination import encode_cursor

    rng = random.Random(42)
    total, starts = start_rows(db, opts.requests, rng)
    cursors = [encode_cursor("name", [name, pk]) for pk, name in starts]
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": SECRET,
        "DJANGO_SETTINGS_MODULE": "bench.bench_settings",
        "PYTHONPATH": str(ROOT),
        "DEBUG": "false",
    }
    token = subprocess.run(
        [KUNDENWERT, "token", "create", opts.username, "--name", "web-bench"], env=env,
        check=True, text=True, capture_output=True, cwd=ROOT,
    ).stdout.strip()  # fmt: skip
    port = free_port()
    server = subprocess.Popen(
        [KUNDENWERT, "serve", "--port", str(port), "--workers", str(opts.workers),
         "--threads", str(opts.threads)],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    results: dict[int, dict[str, Result]] = {}
    try:
        wait_for(base, server)
        watched = (server.pid, PG_DB if db == "pg" else None)
        cookies = [sign_in(base, opts.username) for _ in range(opts.clients)]
        pages = [Client(port, {"Cookie": c}) for c in cookies]
        apis = [Client(port, {"Authorization": f"Bearer {token}"}) for _ in range(opts.clients)]
        verify(pages[0], apis[0], cursors[:5])
        print(
            f"  {total:,} active organisations; {opts.workers} gunicorn workers × "
            f"{opts.threads} threads; signed in as {opts.username}; page = API rows checked"
        )
        deep_page = [f"/organizations/?{urlencode({'cursor': c})}" for c in cursors]
        deep_api = [f"/api/v1/organizations?{urlencode({'limit': ROWS, 'cursor': c})}"
                    for c in cursors]  # fmt: skip
        first_page = ["/organizations/"] * opts.requests
        first_api = [f"/api/v1/organizations?limit={ROWS}"] * opts.requests
        htmx = {"HX-Request": "true"}
        # Warm up: connections, template and translation caches, PostgreSQL's buffers.
        run_load(pages, deep_page[: 50 * opts.clients], page_check, watched)
        run_load(apis, deep_api[: 50 * opts.clients], api_check, watched)
        for n in sorted({1, opts.clients}):
            print(f"\n  -- {n} client{'s' if n > 1 else ''}, {opts.requests} requests each --")
            rounds = results[n] = {}
            scenarios = [
                ("page, first page", pages, first_page, page_check, None),
                ("API, first page", apis, first_api, api_check, None),
                ("page, random depth", pages, deep_page, page_check, None),
                ("API, random depth", apis, deep_api, api_check, None),
                ("'Show more' fragment (htmx)", pages, deep_page, page_check, htmx),
            ]
            for label, clients, paths, check, headers in scenarios:
                rounds[label] = run_load(clients[:n], paths, check, watched, headers)
                show(label, rounds[label], db)
            for depth in ("first page", "random depth"):
                page, api = rounds[f"page, {depth}"], rounds[f"API, {depth}"]
                print(
                    f"  ratio page/API, {depth}: throughput {api.rate / page.rate:.2f}x lower, "
                    f"p50 {page.p50 / api.p50:.2f}x, p99 {page.p99 / api.p99:.2f}x"
                )
    finally:
        server.terminate()
        server.wait(timeout=30)
        subprocess.run(
            [KUNDENWERT, "token", "revoke", token], env=env, cwd=ROOT, capture_output=True
        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--db", choices=("pg", "sqlite", "both"), default="pg")
    parser.add_argument("--requests", type=int, default=1000, help="Requests per measurement.")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--as", dest="username", default="admin")
    parser.add_argument("--keep", action="store_true", help="Keep the scratch database(s).")
    opts = parser.parse_args()

    os.environ.update(
        {
            "SECRET_KEY": SECRET,
            "DJANGO_SETTINGS_MODULE": "bench.bench_settings",
            "PYTHONPATH": str(ROOT),
            "DEBUG": "false",
        }
    )
    os.environ.setdefault("DATABASE_URL", PG_URL)  # not used here: settings need one
    import django

    django.setup()

    summary = []
    for db, url, label in (("pg", PG_URL, "PostgreSQL"), ("sqlite", SQLITE_URL, "SQLite")):
        if opts.db not in {db, "both"}:
            continue
        print(f"\n== {label}: organisation list, {opts.customers:,} organisations ==")
        prepare(db, url, opts.customers)
        try:
            results = bench(db, url, opts)
        finally:
            if not opts.keep:
                drop(db)
        for n, rounds in results.items():
            for depth in ("first page", "random depth"):
                summary.append((label, n, depth, rounds[f"page, {depth}"]))
    print(f"\n== goal: the page with {opts.clients} clients ≥ {GOAL_RATE:.0f} req/s ==")
    cores = os.cpu_count() or 1
    for label, n, depth, result in summary:
        if n == opts.clients:
            cpu = result.cpu
            per_request = cpu["server"] + cpu["postgres"] + cpu["client"]
            verdict = "met" if result.rate >= GOAL_RATE else "NOT met"
            print(
                f"  {label}, {depth}: {result.rate:.0f} req/s, p99 {result.p99:.1f} ms — {verdict}"
                f"; CPU bound: {cores} cores / {per_request:.1f} ms per request = "
                f"{cores * 1000 / per_request:.0f} req/s (other processes took "
                f"{cpu['others']:.0%} of the machine)"
            )


if __name__ == "__main__":
    main()
