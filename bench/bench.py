"""The benchmark, end to end (see docs/benchmark.md). Run it as `bench/run`.

For each size (default 10k and 100k tickets; --million adds 1M): create a PostgreSQL database from a migrated template,
load it with `manage.py seed_volume`, VACUUM ANALYZE, start the app under gunicorn (2 workers, 127.0.0.1 only, production
settings plus bench/settings.py's query counter), drive HTTP load from a separate process (bench/load.py), and time
the floor: the same ticket page by one raw SQL query, over HTTP and in-process, as an ordinary user and as one who sees
every ticket. Then, in process per user kind (bench/inprocess.py), sla_tick (bench/sla.py) and search
(bench/search.py). The report checks issue 18's targets. Results go to bench/results/ (JSON and markdown; git-ignored);
a run that includes the 100k size also refreshes the results in docs/benchmark.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DOC = ROOT / "docs" / "benchmark.md"
DOC_START, DOC_END = "<!-- bench:results:start -->", "<!-- bench:results:end -->"
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
PASSWORD = "demo-pass-2026"
sys.path.insert(0, str(ROOT))

from bench.sql import (  # noqa: E402
    AGENT_TICKETS_IN_PROGRESS,
    PENDING_ROLE_SLOTS,
    SAMPLE_VISIBLE_TICKETS,
    TICKET_PAGE,
    TICKET_PAGE_ALL,
)

TARGET_SIZE = 100_000
MILLION = 1_000_000
LIST, DETAIL, TIMELINE = "ticket list", "ticket detail", "timeline"
FLOOR_HTTP = "floor: list, raw SQL (HTTP)"
FLOOR_SQL = "floor: list, raw SQL only"
FLOOR_ALL_HTTP = "floor: list of all, raw SQL (HTTP)"
FLOOR_ALL_SQL = "floor: list of all, raw SQL only"
# The user kinds of issue 18's targets: HTTP endpoint name suffix, plan user, and the floor their list is held to.
KINDS = {
    "ordinary": ("", "requester", FLOOR_HTTP),
    "auditor": (" (auditor)", "auditor", FLOOR_ALL_HTTP),
    "superuser": (" (superuser)", "admin", FLOOR_ALL_HTTP),
}
TICKETS, APPROVALS, NOTIFICATIONS = "/api/v1/tickets/", "/api/v1/approvals/", "/api/v1/notifications/"
FLOOR_PATH = "/bench/floor/tickets/"
SLA_TICK = "sla_tick"
SEARCH = "search"
INPROCESS = "inprocess"
CONFIG_KEYS = ("workers", "concurrency", "requests", "write_requests", "max_seconds", "inprocess_runs", "inprocess_writes")


def wanted(args: argparse.Namespace, name: str) -> bool:
    """Whether this run measures the endpoint or step `name` (--only, --skip)."""
    return (not args.only or name in args.only) and name not in args.skip


def label(size: int) -> str:
    if size >= 1_000_000 and size % 1_000_000 == 0:
        return f"{size // 1_000_000}M"
    if size >= 1000 and size % 1000 == 0:
        return f"{size // 1000}k"
    return str(size)


def log(message: str) -> None:
    print(f"[bench {datetime.now():%H:%M:%S}] {message}", flush=True)


# --- databases and processes -------------------------------------------------------------------------------------


class Postgres:
    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")

    def admin(self) -> psycopg.Connection:
        return psycopg.connect(f"{self.url}/postgres", autocommit=True)

    def connect(self, name: str) -> psycopg.Connection:
        return psycopg.connect(f"{self.url}/{name}", autocommit=True, options="-c search_path=ticket,public")

    def exists(self, name: str) -> bool:
        with self.admin() as conn:
            return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None

    def drop(self, name: str) -> None:
        with self.admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def create(self, name: str, template: str | None = None) -> None:
        with self.admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))

    def version(self) -> str:
        with self.admin() as conn:
            row = conn.execute("SHOW server_version").fetchone()
            return str(row[0]) if row else "?"


def django_env(pg: Postgres, database: str, args: argparse.Namespace) -> dict[str, str]:
    """Production settings (DEBUG off, real keys) on loopback HTTP, plus the benchmark's query counter."""
    return os.environ | {
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "BENCH": "1",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "JWT_SIGNING_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "False",  # loopback HTTP: no TLS proxy in front
        "DATABASE_URL": f"{pg.url}/{database}",
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",  # as in production: e-mails are queued, not sent inline
        "LOG_LEVEL": "WARNING",
        "JWT_ACCESS_MINUTES": "240",
        "AUTH_THROTTLE_RATE": "1000/min",
        # The load comes from a few users: no per-user API rates (empty), no submit limit in practice.
        "API_READ_THROTTLE_RATE": "",
        "API_WRITE_THROTTLE_RATE": "",
        "TICKET_SUBMIT_THROTTLE_RATE": "1000000/hour",
        "GUNICORN_BIND": f"127.0.0.1:{args.port}",
        "WEB_CONCURRENCY": str(args.workers),
        "GUNICORN_ACCESS_LOG": "",
        "GUNICORN_MAX_REQUESTS": "0",  # no worker recycling in the middle of a measurement
        "PYTHONUNBUFFERED": "1",
    }


def manage(env: dict[str, str], *command: str) -> None:
    subprocess.run([str(PYTHON), "manage.py", *command], cwd=ROOT, env=env, check=True)


def measure(env: dict[str, str], module: str, *arguments: str) -> dict[str, Any]:
    """Runs a measuring module of bench/ with the size's Django environment; returns the JSON of its last line."""
    done = subprocess.run([str(PYTHON), "-m", module, *arguments], cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{module} failed with {done.returncode}:\n{done.stderr[-4000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


class Server:
    """gunicorn in its own process group, stopped by that group's id."""

    def __init__(self, env: dict[str, str], log_path: Path, port: int) -> None:
        self.port = port
        self.log = log_path.open("w")
        self.proc = subprocess.Popen(
            [str(GUNICORN), "-c", "gunicorn.conf.py", "ticketsite.wsgi:application"],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"gunicorn exited with {self.proc.returncode}; see {self.log.name}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/readyz", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.5)
        raise SystemExit(f"gunicorn not ready after {timeout}s; see {self.log.name}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


# --- the plan: which requests, as whom ---------------------------------------------------------------------------


def build_plan(conn: psycopg.Connection, args: argparse.Namespace, size: int) -> tuple[dict[str, Any], int]:
    def user_id(username: str) -> int:
        row = conn.execute("SELECT id FROM auth_user WHERE username = %s", [username]).fetchone()
        if row is None:
            raise SystemExit(f"{username} missing: was the database loaded with seed_volume?")
        return int(row[0])

    requester, agent, approver = user_id("bench-requester"), user_id("bench-agent"), user_id("bench-approver")
    for username in ("bench-auditor", "bench-admin"):  # the other user kinds of the load
        user_id(username)
    reads, writes = args.requests, args.write_requests
    ids = [row[0] for row in conn.execute(SAMPLE_VISIBLE_TICKETS, {"user": requester, "limit": 200})]
    any_ids = [row[0] for row in conn.execute("SELECT id FROM tickets WHERE is_deleted = false ORDER BY random() LIMIT 200")]
    keys = [row[0] for row in conn.execute("SELECT key FROM tickets WHERE id = ANY(%s)", [ids])] if ids else []
    in_progress = [row[0] for row in conn.execute(AGENT_TICKETS_IN_PROGRESS, {"user": agent, "limit": writes})]
    slots = [row[0] for row in conn.execute(PENDING_ROLE_SLOTS, {"user": approver, "limit": writes})]
    category = conn.execute("SELECT id FROM categories WHERE is_deleted = false ORDER BY id LIMIT 1").fetchone()
    label_row = conn.execute("SELECT id FROM labels WHERE is_deleted = false ORDER BY id LIMIT 1").fetchone()

    def get(path: str, count: int = reads) -> list[list[Any]]:
        return [["GET", path, None] for _ in range(count)]

    create_body: dict[str, Any] = {"description": "Created by the benchmark.", "priority": "medium"}
    create_body |= {"categories": [category[0]] if category else [], "labels": [label_row[0]] if label_row else []}
    # Transitions flip the agent's tickets: in_progress -> resolved for all of them, then back (reopen), and so on.
    transitions = []
    for index in range(writes if in_progress else 0):
        ticket, lap = in_progress[index % len(in_progress)], index // len(in_progress)
        target = "resolved" if lap % 2 == 0 else "in_progress"
        transitions.append(["POST", f"/api/v1/tickets/{ticket}/transition/", {"status": target, "comment": "bench"}])
    endpoints: list[dict[str, Any]] = [
        {"name": LIST, "user": "requester", "warmup": 10, "requests": get("/api/v1/tickets/?page_size=50")},
        {
            "name": DETAIL,
            "user": "requester",
            "warmup": 10,
            "requests": [["GET", f"/api/v1/tickets/{ids[i % len(ids)]}/", None] for i in range(reads)] if ids else [],
        },
        {
            "name": TIMELINE,
            "user": "requester",
            "warmup": 10,
            "requests": [["GET", f"/api/v1/tickets/{ids[i % len(ids)]}/timeline/", None] for i in range(reads)] if ids else [],
        },
        {"name": "pending approvals", "user": "approver", "warmup": 10, "requests": get(f"{APPROVALS}?mine=pending")},
        {"name": "notifications list", "user": "requester", "warmup": 10, "requests": get(f"{NOTIFICATIONS}?page_size=50")},
        {
            "name": "create ticket",
            "user": "requester",
            "expect": [201],
            "requests": [["POST", TICKETS, create_body | {"title": f"Bench ticket {size}-{i}"}] for i in range(writes)],
        },
        {"name": "transition", "user": "agent", "requests": transitions},
        {
            "name": "approve",
            "user": "approver",
            "requests": [["POST", f"{APPROVALS}{slot}/approve/", {"comment": "Approved by the benchmark."}] for slot in slots],
        },
        # The workspace's pages (session sign-in): an agent's queue of everything they can see, and the ticket page.
        {"name": "queue page", "user": "agent", "session": True, "warmup": 10, "requests": get("/queues/all/")},
        {
            "name": "ticket page",
            "user": "requester",
            "session": True,
            "warmup": 10,
            "requests": [["GET", f"/tickets/{keys[i % len(keys)]}/", None] for i in range(reads)] if keys else [],
        },
        {"name": FLOOR_HTTP, "user": None, "warmup": 10, "requests": get(f"{FLOOR_PATH}?user={requester}&page_size=50")},
    ]
    # The same list and detail for the kinds who see every ticket (issue 18), and their floor: the page without a rule.
    for kind in ("auditor", "superuser"):
        suffix, user, _ = KINDS[kind]
        listing = get("/api/v1/tickets/?page_size=50")
        endpoints.insert(-1, {"name": LIST + suffix, "user": user, "warmup": 10, "requests": listing})
        for name, tail in ((DETAIL, ""), (TIMELINE, "timeline/")):
            paths = [["GET", f"/api/v1/tickets/{any_ids[i % len(any_ids)]}/{tail}", None] for i in range(reads)]
            endpoints.insert(-1, {"name": name + suffix, "user": user, "warmup": 10, "requests": paths if any_ids else []})
    floor_all = get(f"{FLOOR_PATH}?all=1&page_size=50")
    endpoints.append({"name": FLOOR_ALL_HTTP, "user": None, "warmup": 10, "requests": floor_all})
    endpoints = [endpoint for endpoint in endpoints if wanted(args, endpoint["name"])]
    names = ("requester", "agent", "approver", "auditor", "admin")
    users = {name: {"username": f"bench-{name}", "password": PASSWORD} for name in names}
    plan = {
        "base": f"http://127.0.0.1:{args.port}",
        "concurrency": args.concurrency,
        "max_seconds": args.max_seconds,
        "users": users,
        "endpoints": endpoints,
    }
    return plan, requester


def time_floor_sql(conn: psycopg.Connection, requester: int, count: int, *, every_ticket: bool = False) -> dict[str, Any]:
    """The floor's query alone, in-process: what the database needs for the page, without HTTP or Python web code.
    `every_ticket`: the page of one who sees every ticket (no visibility rule)."""
    sql = TICKET_PAGE_ALL if every_ticket else TICKET_PAGE
    params = {"user": requester, "limit": 50, "offset": 0}
    for _ in range(5):
        conn.execute(sql, params).fetchall()
    loadavg = os.getloadavg()[0]
    latencies = []
    started = time.perf_counter()
    for _ in range(count):
        begin = time.perf_counter()
        rows = conn.execute(sql, params).fetchall()
        json.dumps([list(row) for row in rows], default=str)
        latencies.append(time.perf_counter() - begin)
    wall = time.perf_counter() - started
    ordered = sorted(latencies)
    return {
        "name": FLOOR_ALL_SQL if every_ticket else FLOOR_SQL,
        "loadavg": round(loadavg, 2),
        "requests": count,
        "ok": count,
        "errors": 0,
        "rps": round(count / wall, 1),
        "p50_ms": round(ordered[len(ordered) // 2] * 1000, 1),
        "p95_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] * 1000, 1),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 1),
        "queries_max": 1,
        "queries_median": 1,
    }


# --- one size ----------------------------------------------------------------------------------------------------


def run_size(pg: Postgres, template: str, size: int, args: argparse.Namespace, stamp: str) -> dict[str, Any]:
    database = f"{args.db_prefix}{size}"
    env = django_env(pg, database, args)
    outcome: dict[str, Any] = {"size": size, "database": database}
    if args.reuse and pg.exists(database):
        log(f"{label(size)}: reusing database {database}")
    else:
        pg.drop(database)
        pg.create(database, template=template)
        log(f"{label(size)}: loading {size} tickets into {database} (seed_volume)")
        started = time.monotonic()
        manage(env, "seed_volume", "--tickets", str(size))
        outcome["seed_seconds"] = round(time.monotonic() - started, 1)
        with pg.connect(database) as conn:
            conn.execute("VACUUM ANALYZE")
    with pg.connect(database) as conn:
        outcome["tickets"] = conn.execute("SELECT count(*) FROM tickets").fetchone()[0]  # type: ignore[index]
        outcome["ticket_notes"] = conn.execute("SELECT count(*) FROM ticket_notes").fetchone()[0]  # type: ignore[index]
        plan, requester = build_plan(conn, args, size)
    plan_path = RESULTS / f"{stamp}-{label(size)}-plan.json"
    result_path = RESULTS / f"{stamp}-{label(size)}-load.json"
    plan_path.write_text(json.dumps(plan))
    manage(env, "collectstatic", "--no-input", "--verbosity", "0")  # production storage serves only collected files
    server = Server(env, RESULTS / f"{stamp}-{label(size)}-gunicorn.log", args.port)
    try:
        server.wait_ready()
        log(f"{label(size)}: gunicorn up ({args.workers} workers); driving load ({args.concurrency} client threads)")
        # The machine's 1-minute load average before and after, so a run on a busy machine reads as one.
        load_before = os.getloadavg()[0]
        subprocess.run([sys.executable, str(ROOT / "bench" / "load.py"), str(plan_path), str(result_path)], check=True)
        outcome["loadavg"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    finally:
        server.stop()
    endpoints = json.loads(result_path.read_text())
    with pg.connect(database) as conn:
        if wanted(args, FLOOR_SQL):
            endpoints.append(time_floor_sql(conn, requester, args.requests))
        if wanted(args, FLOOR_ALL_SQL):
            endpoints.append(time_floor_sql(conn, requester, args.requests, every_ticket=True))
    outcome["endpoints"] = endpoints
    if wanted(args, INPROCESS):
        log(f"{label(size)}: in process, per user kind (bench/inprocess.py)")
        runs = ["--runs", str(args.inprocess_runs), "--writes", str(args.inprocess_writes)]
        outcome[INPROCESS] = measure(env, "bench.inprocess", *runs)
    if wanted(args, SLA_TICK):
        log(f"{label(size)}: {SLA_TICK} over the tickets under way (bench/sla.py)")
        outcome[SLA_TICK] = measure(env, "bench.sla")
    if wanted(args, SEARCH):
        log(f"{label(size)}: {SEARCH}, full-text against substring (bench/search.py)")
        outcome[SEARCH] = measure(env, "bench.search")
    plan_path.unlink()
    result_path.unlink()
    if not args.keep:
        pg.drop(database)
    return outcome


# --- report ------------------------------------------------------------------------------------------------------


def by_name(outcome: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {endpoint["name"]: endpoint for endpoint in outcome["endpoints"]}


def inprocess_figures(outcome: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """(figure name, user kind) -> the in-process figure."""
    return {(f["name"], f["user"]): f for f in outcome.get(INPROCESS, {}).get("figures", [])}


def floor_ratio(outcome: dict[str, Any], name: str, floor: str) -> float | None:
    """How many times the floor's HTTP throughput is the endpoint's, in the same run (1.0: as fast as the floor)."""
    endpoint, base = by_name(outcome).get(name, {}), by_name(outcome).get(floor, {})
    if not endpoint.get("rps") or not base.get("rps"):
        return None
    return float(base["rps"]) / float(endpoint["rps"])


def growth(outcomes: list[dict[str, Any]], key: tuple[str, str], size: int) -> float | None:
    """In-process p50 at `size` over the one at the smallest size of the run."""
    larger = next((o for o in outcomes if o["size"] == size), None)
    if larger is None or larger is outcomes[0]:
        return None
    small, big = inprocess_figures(outcomes[0]).get(key), inprocess_figures(larger).get(key)
    if not small or not big or not small["p50_ms"]:
        return None
    return float(big["p50_ms"]) / float(small["p50_ms"])


# Issue 18's targets. Latency and statement limits per in-process figure: (name, user kind) -> (max p50 ms, max queries).
LATENCY_TARGETS: dict[tuple[str, str], tuple[float | None, int | None]] = {
    **{(LIST, kind): (25.0, None) for kind in KINDS},
    **{(DETAIL, kind): (None, 3) for kind in KINDS},
    **{(TIMELINE, kind): (None, 3) for kind in KINDS},
    ("pending approvals", "approver"): (25.0, None),
    ("create ticket", "ordinary"): (None, 10),
    ("comment", "ordinary"): (None, 10),
    ("transition", "agent"): (None, 10),
    ("approve (completes the process)", "approver"): (None, 12),
    ("queue page", "agent"): (25.0, None),  # held to the list's target
    ("ticket page", "agent"): (None, 3),  # held to the detail's target
}
FLOOR_TARGETS = {LIST: 2.0, DETAIL: 3.0, TIMELINE: 3.0}  # floor÷product HTTP throughput
GROWTH_TARGET = 1.5  # at 1M against 10k, in-process p50, every user kind
GROWTH_FIGURES = (LIST, DETAIL, "pending approvals")
SEED_TARGET_SECONDS = 15 * 60  # seed_volume --tickets 1000000


def check_targets(outcomes: list[dict[str, Any]]) -> list[tuple[str, str, bool | None]]:
    """(target, measured, met) for issue 18: at the target size (100k, else the largest), growth at 1M against the
    smallest size (10k in a default run); met is None where the run has no figure for it."""
    if not outcomes:
        return []
    target = next((o for o in outcomes if o["size"] == TARGET_SIZE), outcomes[-1])
    at = label(target["size"])
    figures = inprocess_figures(target)
    rows: list[tuple[str, str, bool | None]] = []
    for (name, kind), (max_ms, max_queries) in LATENCY_TARGETS.items():
        figure = figures.get((name, kind))
        if max_ms is not None:
            measured = f"{figure['p50_ms']} ms (load {figure['loadavg']})" if figure else "-"
            met = None if figure is None else figure["p50_ms"] <= max_ms
            rows.append((f"{name}, {kind}: p50 ≤ {max_ms:g} ms in process ({at})", measured, met))
        if max_queries is not None:
            measured = str(figure["queries"]) if figure else "-"
            met = None if figure is None else figure["queries"] <= max_queries
            rows.append((f"{name}, {kind}: ≤ {max_queries} statements ({at})", measured, met))
    for name, limit in FLOOR_TARGETS.items():
        for kind, (suffix, _, floor) in KINDS.items():
            ratio = floor_ratio(target, name + suffix, floor)
            measured = f"{ratio:.2f}x" if ratio is not None else "-"
            met = ratio <= limit if ratio is not None else None
            rows.append((f"{name}, {kind}: floor's throughput ≤ {limit:g}x its own ({at}, HTTP)", measured, met))
    million = next((o for o in outcomes if o["size"] == MILLION), None)
    seconds = million.get("seed_seconds") if million else None
    rows.append(
        (
            f"seed_volume --tickets 1000000 ≤ {SEED_TARGET_SECONDS // 60} min",
            f"{seconds} s" if seconds is not None else "not run",
            seconds <= SEED_TARGET_SECONDS if seconds is not None else None,
        )
    )
    base = label(outcomes[0]["size"])
    for name in GROWTH_FIGURES:
        for kind in [*KINDS, "approver"] if name == "pending approvals" else KINDS:
            ratio = growth(outcomes, (name, kind), MILLION)
            measured = f"{ratio:.2f}x" if ratio is not None else "not run"
            met = None if ratio is None else ratio <= GROWTH_TARGET
            rows.append((f"{name}, {kind}: 1M within {GROWTH_TARGET:g}x of {base}", measured, met))
    return rows


def inprocess_table(outcomes: list[dict[str, Any]]) -> list[str]:
    sized = [o for o in outcomes if INPROCESS in o]
    if not sized:
        return []
    sizes = [label(o["size"]) for o in sized]
    head = ["figure", "as", *(f"{size} p50 / p95 ms (load)" for size in sizes), "statements (" + " / ".join(sizes) + ")"]
    head += [f"{label(o['size'])}÷{sizes[0]} p50" for o in sized[1:]]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for key in inprocess_figures(sized[0]):
        cells = [*key]
        for outcome in sized:
            f = inprocess_figures(outcome).get(key)
            cells.append(f"{f['p50_ms']} / {f['p95_ms']} ({f['loadavg']})" if f else "-")
        cells.append(" / ".join(str(f["queries"]) if (f := inprocess_figures(o).get(key)) else "-" for o in sized))
        for outcome in sized[1:]:
            ratio = growth(sized, key, outcome["size"])
            cells.append(f"{ratio:.2f}x" if ratio is not None else "-")
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def floor_table(outcomes: list[dict[str, Any]]) -> list[str]:
    sizes = [label(o["size"]) for o in outcomes]
    lines = ["| HTTP throughput, floor÷product | " + " | ".join(sizes) + " |", "|---|" + "---|" * len(sizes)]
    for name in FLOOR_TARGETS:
        for kind, (suffix, _, floor) in KINDS.items():
            cells = [f"{name}, {kind} (against {floor})"]
            for outcome in outcomes:
                ratio = floor_ratio(outcome, name + suffix, floor)
                cells.append(f"{ratio:.2f}x" if ratio is not None else "-")
            lines.append("| " + " | ".join(cells) + " |")
    return lines


def per_size(outcomes: list[dict[str, Any]], key: str, heading: str, describe: Callable[[dict[str, Any]], str]) -> list[str]:
    """A paragraph of what `key` measured at each size, and a blank line; nothing when no size measured it."""
    parts = [f"{label(o['size'])}: {describe(found)}" for o in outcomes if (found := o.get(key))]
    return [heading + "; ".join(parts) + ".", ""] if parts else []


def markdown(run: dict[str, Any]) -> str:
    outcomes = run["sizes"]
    sizes = [label(o["size"]) for o in outcomes]
    head = ["endpoint"]
    for size in sizes:
        head += [f"{size} req/s", f"{size} p50 ms", f"{size} p95 ms"]
    head.append("queries/request (" + " / ".join(sizes) + ")")
    head.append("load before (" + " / ".join(sizes) + ")")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    names = [e["name"] for e in outcomes[0]["endpoints"]] if outcomes else []
    for name in names:
        cells = [name]
        queries, loads = [], []
        for outcome in outcomes:
            endpoint = by_name(outcome).get(name, {})
            errors = f" ({endpoint['errors']} errors)" if endpoint.get("errors") else ""
            cells += [f"{endpoint.get('rps', '-')}{errors}", str(endpoint.get("p50_ms", "-")), str(endpoint.get("p95_ms", "-"))]
            queries.append(str(endpoint.get("queries_max", "-")))
            loads.append(str(endpoint.get("loadavg", "-")))
        cells.append(" / ".join(queries))
        cells.append(" / ".join(loads))
        lines.append("| " + " | ".join(cells) + " |")
    meta = run["machine"]
    out = [
        f"Run {run['started']} on {meta['cpus']} CPUs, PostgreSQL {meta['postgres']}, Python {meta['python']}, "
        f"commit {meta['commit']}; gunicorn {run['config']['workers']} sync workers, "
        f"{run['config']['concurrency']} client threads, up to {run['config']['requests']} reads and "
        f"{run['config']['write_requests']} writes per endpoint.",
        "",
        *lines,
        "",
        "Data: "
        + "; ".join(
            f"{label(o['size'])}: {o['tickets']} tickets, {o['ticket_notes']} timeline rows"
            + (f", loaded in {o['seed_seconds']} s" if "seed_seconds" in o else "")
            for o in outcomes
        )
        + ".",
        "",
        *per_size(
            outcomes,
            SLA_TICK,
            "Service levels, `sla_tick` in process (bench/sla.py; the clocks of the tickets under way all due, then "
            "nothing due): ",
            lambda t: (
                f"{t['clocks']} clocks, first tick {t['first']['looked_at']} looked at, "
                f"{t['first']['events']} events, {t['first']['seconds']} s, {t['first']['queries']} queries; "
                f"second tick {t['second']['looked_at']} looked at, {t['second']['seconds']} s, "
                f"{t['second']['queries']} queries"
            ),
        ),
        *per_size(
            outcomes,
            SEARCH,
            "Search in process (bench/search.py; p50/p95 ms, full-text through the list endpoint against the old substring "
            "search's queries): ",
            lambda searched: ", ".join(
                f"{w['word']} ({w['full_text']['matches']} found) "
                f"{w['full_text']['p50_ms']}/{w['full_text']['p95_ms']} "
                f"against {w['substring']['p50_ms']}/{w['substring']['p95_ms']}"
                for w in searched["words"].values()
            ),
        ),
        "Machine load (1-minute load average before → after the load phase, 2 CPUs): "
        + "; ".join(f"{label(o['size'])}: {o['loadavg'][0]} → {o['loadavg'][1]}" for o in outcomes if "loadavg" in o)
        + ".",
        "",
        "In process (bench/inprocess.py; the test client, a JWT bearer for the API and a session for the workspace pages; "
        f"{run['config']['inprocess_runs']} timed reads after 5 warm-up ones, {run['config']['inprocess_writes']} of "
        "each write; the 1-minute load average read just before each figure; statements: the most one request ran):",
        "",
        *inprocess_table(outcomes),
        "",
        *floor_table(outcomes),
        "",
        "| target (issue 18) | measured | met |",
        "|---|---|---|",
    ]
    for target, measured, passed in run["targets"]:
        out.append(f"| {target} | {measured} | {'-' if passed is None else 'yes' if passed else 'NO'} |")
    return "\n".join(out) + "\n"


def update_doc(table: str) -> None:
    text = DOC.read_text() if DOC.exists() else f"# Benchmark\n\n{DOC_START}\n{DOC_END}\n"
    if DOC_START not in text or DOC_END not in text:
        text += f"\n{DOC_START}\n{DOC_END}\n"
    before, rest = text.split(DOC_START, 1)
    _, after = rest.split(DOC_END, 1)
    DOC.write_text(f"{before}{DOC_START}\n{table}{DOC_END}{after}")


def git_commit() -> str:
    if os.environ.get("BENCH_COMMIT"):  # e.g. when running from an exported copy of the tree
        return os.environ["BENCH_COMMIT"]
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True)
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit.stdout.strip() + ("+changes" if dirty.stdout.strip() else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000", help="Ticket counts, comma separated (default 10000,100000).")
    parser.add_argument("--million", action="store_true", help="Also run 1,000,000 tickets.")
    parser.add_argument(
        "--pg", default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432"), help="PostgreSQL server URL."
    )
    parser.add_argument("--db-prefix", default="bench_", help="Database name prefix (default bench_).")
    parser.add_argument("--port", type=int, default=8765, help="Loopback port for gunicorn (default 8765).")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2).")
    parser.add_argument("--concurrency", type=int, default=2, help="Client threads (default 2).")
    parser.add_argument("--requests", type=int, default=300, help="Requests per read endpoint (default 300).")
    parser.add_argument("--write-requests", type=int, default=150, help="Requests per write endpoint (default 150).")
    parser.add_argument("--max-seconds", type=float, default=60, help="Time cap per endpoint (default 60 s).")
    parser.add_argument("--inprocess-runs", type=int, default=50, help="In-process requests per read figure (default 50).")
    parser.add_argument("--inprocess-writes", type=int, default=5, help="In-process requests per write (default 5).")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        help='Measure only this endpoint (by its name in the report, e.g. "ticket list"), or "inprocess", "sla_tick", '
        '"search"; repeatable. No docs update.',
    )
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        help='Leave out this endpoint or step (e.g. "sla_tick", "search": their first tick and word sets take long at '
        "1M); repeatable. The docs are still updated.",
    )
    parser.add_argument("--keep", action="store_true", help="Keep the databases afterwards (default: drop them).")
    parser.add_argument("--reuse", action="store_true", help="Reuse existing databases of the same names (no reload).")
    parser.add_argument("--update-docs", action="store_true", help="Refresh docs/benchmark.md even without the 100k size.")
    parser.add_argument("--no-docs", action="store_true", help="Never touch docs/benchmark.md.")
    args = parser.parse_args()
    sizes = sorted({int(size) for size in args.sizes.split(",") if size.strip()} | ({1_000_000} if args.million else set()))

    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    pg = Postgres(args.pg)
    template = f"{args.db_prefix}template"
    run: dict[str, Any] = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "postgres": pg.version(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "commit": git_commit(),
        },
        "config": {k: getattr(args, k) for k in CONFIG_KEYS},
        "sizes": [],
    }
    needs_template = not (args.reuse and all(pg.exists(f"{args.db_prefix}{size}") for size in sizes))
    try:
        if needs_template:
            log(f"migrating template database {template}")
            pg.drop(template)
            pg.create(template)
            manage(django_env(pg, template, args), "migrate", "--no-input", "-v", "0")
        for size in sizes:
            run["sizes"].append(run_size(pg, template, size, args, stamp))
    finally:
        if needs_template:
            pg.drop(template)
    run["targets"] = check_targets(run["sizes"])
    table = markdown(run)
    (RESULTS / f"{stamp}.json").write_text(json.dumps(run, indent=2))
    (RESULTS / f"{stamp}.md").write_text(table)
    (RESULTS / "latest.json").write_text(json.dumps(run, indent=2))
    (RESULTS / "latest.md").write_text(table)
    print()
    print(table)
    if not args.no_docs and not args.only and (TARGET_SIZE in sizes or args.update_docs):
        update_doc(table)
        log(f"updated {DOC.relative_to(ROOT)}")
    log(f"results: {(RESULTS / f'{stamp}.json').relative_to(ROOT)}")


if __name__ == "__main__":
    main()
