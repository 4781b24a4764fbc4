"""The load driver: runs in its own process (standard library only), sends a plan's requests over HTTP with a few
threads, and writes per-endpoint latencies, throughput, statuses and the server's X-Query-Count to a JSON file.

    python bench/load.py PLAN.json RESULT.json

A plan: {"base": "http://127.0.0.1:8765", "concurrency": 2, "max_seconds": 60,
         "users": {"requester": {"username": ..., "password": ...}, ...},
         "endpoints": [{"name": ..., "user": "requester" | null, "warmup": 10, "expect": [200],
                        "requests": [["GET", "/api/v1/tickets/", null], ["POST", "/api/...", {...}], ...]}]}
An endpoint with "session": true is a workspace page: its user signs in through the login form (a session cookie)
instead of presenting a JWT.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import statistics
import sys
import threading
import time
from typing import Any
from urllib.parse import urlencode, urlsplit


class Client:
    def __init__(self, base: str) -> None:
        parts = urlsplit(base)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80

    def request(
        self, method: str, path: str, body: Any, auth: dict[str, str] | None, form: bool = False
    ) -> tuple[int, bytes, dict[str, str], float]:
        """`auth`: extra headers that identify the caller (a bearer token or a session cookie)."""
        headers = {"Accept": "application/json", "Connection": "close", **(auth or {})}
        payload = None
        if body is not None:
            payload = urlencode(body).encode() if form else json.dumps(body).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded" if form else "application/json"
        started = time.perf_counter()
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            connection.request(method, path, body=payload, headers=headers)
            response = connection.getresponse()
            data = response.read()
            elapsed = time.perf_counter() - started
            return response.status, data, {k.lower(): v for k, v in response.getheaders()}, elapsed
        finally:
            connection.close()


def login(client: Client, username: str, password: str) -> str:
    status, data, _, _ = client.request("POST", "/api/v1/auth/token/", {"username": username, "password": password}, None)
    if status != 200:
        raise SystemExit(f"login as {username} failed: {status} {data[:300]!r}")
    return json.loads(data)["access"]


def session_login(client: Client, username: str, password: str) -> str:
    """Signs in through the workspace's login form; returns the Cookie header of the session."""
    status, data, headers, _ = client.request("GET", "/login/", None, None)
    csrf_cookie = re.search(r"csrftoken=([^;]+)", headers.get("set-cookie", ""))
    csrf_field = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', data)
    if status != 200 or not csrf_cookie or not csrf_field:
        raise SystemExit(f"login page: {status}")
    cookie = f"csrftoken={csrf_cookie.group(1)}"
    body = {"username": username, "password": password, "csrfmiddlewaretoken": csrf_field.group(1).decode()}
    status, data, headers, _ = client.request("POST", "/login/", body, {"Cookie": cookie}, form=True)
    session = re.search(r"sessionid=([^;]+)", headers.get("set-cookie", ""))
    if status != 302 or not session:
        raise SystemExit(f"workspace login as {username} failed: {status} {data[:300]!r}")
    return f"{cookie}; sessionid={session.group(1)}"


def percentile(sorted_values: list[float], share: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, round(share * len(sorted_values) + 0.5 - 1e-9))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def run_endpoint(
    client: Client, endpoint: dict[str, Any], auth: dict[str, str] | None, concurrency: int, max_seconds: float
) -> dict:
    requests = endpoint["requests"]
    expect = set(endpoint.get("expect", [200]))
    for index in range(min(endpoint.get("warmup", 0), len(requests))):
        method, path, body = requests[index]
        client.request(method, path, body, auth)

    loadavg = os.getloadavg()[0]  # the machine's 1-minute load just before the figure: a busy neighbour shows here
    lock = threading.Lock()
    cursor = iter(range(len(requests)))
    latencies: list[float] = []
    queries: list[int] = []
    statuses: dict[int, int] = {}
    errors: list[str] = []
    deadline = time.perf_counter() + max_seconds

    def worker() -> None:
        while time.perf_counter() < deadline:
            with lock:
                index = next(cursor, None)
            if index is None:
                return
            method, path, body = requests[index]
            status, data, headers, elapsed = client.request(method, path, body, auth)
            with lock:
                statuses[status] = statuses.get(status, 0) + 1
                if status in expect:
                    latencies.append(elapsed)
                    if "x-query-count" in headers:
                        queries.append(int(headers["x-query-count"]))
                elif len(errors) < 3:
                    errors.append(f"{method} {path} -> {status}: {data[:300].decode(errors='replace')}")

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    ordered = sorted(latencies)
    done = sum(statuses.values())
    return {
        "name": endpoint["name"],
        "loadavg": round(loadavg, 2),
        "requests": done,
        "ok": len(latencies),
        "errors": done - len(latencies),
        "statuses": {str(key): value for key, value in sorted(statuses.items())},
        "error_samples": errors,
        "seconds": round(wall, 3),
        "rps": round(len(latencies) / wall, 1) if wall > 0 else 0.0,
        "p50_ms": round(percentile(ordered, 0.50) * 1000, 1) if ordered else None,
        "p95_ms": round(percentile(ordered, 0.95) * 1000, 1) if ordered else None,
        "max_ms": round(ordered[-1] * 1000, 1) if ordered else None,
        "mean_ms": round(statistics.fmean(ordered) * 1000, 1) if ordered else None,
        "queries_max": max(queries) if queries else None,
        "queries_median": statistics.median(queries) if queries else None,
    }


def main() -> None:
    plan_path, result_path = sys.argv[1], sys.argv[2]
    with open(plan_path) as handle:
        plan = json.load(handle)
    client = Client(plan["base"])
    tokens = {name: login(client, cred["username"], cred["password"]) for name, cred in plan["users"].items()}
    sessions: dict[str, str] = {}
    results = []
    for endpoint in plan["endpoints"]:
        if not endpoint["requests"]:
            results.append({"name": endpoint["name"], "requests": 0, "skipped": "nothing to request"})
            continue
        auth: dict[str, str] | None = None
        user = endpoint.get("user")
        if user and endpoint.get("session"):
            if user not in sessions:
                sessions[user] = session_login(client, plan["users"][user]["username"], plan["users"][user]["password"])
            auth = {"Cookie": sessions[user]}
        elif user:
            auth = {"Authorization": f"Bearer {tokens[user]}"}
        result = run_endpoint(client, endpoint, auth, plan.get("concurrency", 2), plan.get("max_seconds", 60))
        results.append(result)
        print(
            f"  {result['name']:<26} {result['ok']:>5} ok {result['errors']:>3} err  {result['rps']:>7} req/s  "
            f"p50 {result['p50_ms']} ms  p95 {result['p95_ms']} ms  queries {result['queries_max']}",
            flush=True,
        )
    with open(result_path, "w") as handle:
        json.dump(results, handle, indent=2)


if __name__ == "__main__":
    main()
