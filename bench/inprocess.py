"""The product in process, per user kind (docs/benchmark.md, "In process"), run by bench/bench.py as
`python -m bench.inprocess` with the size's Django environment, or by hand against a database loaded with seed_volume.

Requests go through Django's test client in this process (no HTTP, no gunicorn): DRF's APIClient with a real JWT
bearer obtained from the token endpoint, so authentication is counted as in production; the workspace pages with a
session from the login form. Each figure is the median and p95 of --runs requests after a few warm-up ones, with the
statements of the slowest-counting request (bench.middleware's X-Query-Count: authentication included) and the
machine's 1-minute load average read just before it.

- reads, for an ordinary user (bench-requester), an auditor (bench-auditor: tickets.view_all_tickets, not superuser)
  and a superuser (bench-admin): the ticket list (page of 50 with its exact count), a ticket's detail and timeline
  (over tickets each may see), pending approvals (`?mine=pending`); also pending approvals for bench-approver (a role
  with slots to decide), and the workspace's queue page ("All I can see") and ticket page for bench-agent;
- writes, statements counted (and timed) over --writes requests each: create a ticket (requester), comment on it
  (requester), transition (agent: in progress -> resolved on their tickets), approve a slot whose decision completes its
  one-step process (approver).

Reads run first: the writes change the data. It prints one JSON object on its last line.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

import django

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from approvals.models import ApprovalProcessStepApprover, ProcessStatus  # noqa: E402
from bench.sql import AGENT_TICKETS_IN_PROGRESS, COMPLETING_ROLE_SLOTS  # noqa: E402
from permissions.selectors import visible_tickets  # noqa: E402
from tickets.models import Category, Label, Ticket  # noqa: E402

PASSWORD = "demo-pass-2026"
HOST = "localhost"  # in bench's ALLOWED_HOSTS
# User kinds of the reads, and who they are in a database loaded by seed_volume.
READERS = {"ordinary": "bench-requester", "auditor": "bench-auditor", "superuser": "bench-admin"}
APPROVER, AGENT = "bench-approver", "bench-agent"
WARMUP = 5
SAMPLE = 200  # tickets per user kind for detail and timeline

Request = Callable[[int], Any]  # the i-th request of a figure; returns the response


def user(username: str) -> User:
    found = User.objects.filter(username=username).first()
    if found is None:
        raise SystemExit(f"{username} missing: load the database with the current seed_volume")
    return found


def api_client(username: str) -> APIClient:
    """A client presenting a bearer token from the token endpoint, as a production client does."""
    client = APIClient(SERVER_NAME=HOST)
    response = client.post("/api/v1/auth/token/", {"username": username, "password": PASSWORD}, format="json")
    if response.status_code != 200:
        raise SystemExit(f"token for {username}: {response.status_code} {response.content[:300]!r}")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    return client


def session_client(username: str) -> Client:
    client = Client(SERVER_NAME=HOST)
    response = client.post("/login/", {"username": username, "password": PASSWORD})
    if response.status_code != 302:
        raise SystemExit(f"login of {username}: {response.status_code}")
    return client


def figure(runs: int, request: Request, expect: int = 200, warmup: int = WARMUP) -> dict[str, Any]:
    """Median and p95 (nearest rank) in ms of `runs` requests after `warmup`, the most statements one ran, and the
    1-minute load average read just before."""
    for index in range(warmup):
        request(index)
    loadavg = os.getloadavg()[0]
    latencies, queries = [], []
    for index in range(runs):
        started = time.perf_counter()
        response = request(warmup + index)
        latencies.append((time.perf_counter() - started) * 1000)
        if response.status_code != expect:
            raise SystemExit(f"{response.status_code} (expected {expect}): {response.content[:300]!r}")
        queries.append(int(response["X-Query-Count"]))
    ordered = sorted(latencies)
    return {
        "runs": runs,
        "p50_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))], 1),
        "queries": max(queries),
        "loadavg": round(loadavg, 2),
    }


def sample_ids(who: User) -> list[int]:
    return list(visible_tickets(who).order_by("?").values_list("id", flat=True)[:SAMPLE])


def raw_ids(sql: str, params: dict[str, Any]) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def reader_paths(client: APIClient, ids: list[int]) -> dict[str, Request]:
    """The reads of each user kind: the list, a detail and a timeline over `ids` (tickets the user may see), pending
    approvals."""

    def listing(index: int) -> Any:
        return client.get("/api/v1/tickets/?page_size=50")

    def detail(index: int) -> Any:
        return client.get(f"/api/v1/tickets/{ids[index % len(ids)]}/")

    def timeline(index: int) -> Any:
        return client.get(f"/api/v1/tickets/{ids[index % len(ids)]}/timeline/")

    def pending(index: int) -> Any:
        return client.get("/api/v1/approvals/?mine=pending")

    return {"ticket list": listing, "ticket detail": detail, "timeline": timeline, "pending approvals": pending}


def reads(runs: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    def add(name: str, kind: str, request: Request) -> None:
        out.append({"name": name, "user": kind, **figure(runs, request)})

    for kind, username in READERS.items():
        for name, request in reader_paths(api_client(username), sample_ids(user(username))).items():
            add(name, kind, request)
    approver = api_client(APPROVER)
    add("pending approvals", "approver", lambda i: approver.get("/api/v1/approvals/?mine=pending"))
    agent = session_client(AGENT)
    keys = list(Ticket.objects.filter(assignee=user(AGENT)).order_by("?").values_list("key", flat=True)[:SAMPLE])
    add("queue page", "agent", lambda i: agent.get("/queues/all/"))
    add("ticket page", "agent", lambda i: agent.get(f"/tickets/{keys[i % len(keys)]}/"))
    return out


def writes(count: int) -> list[dict[str, Any]]:
    requester, agent, approver = api_client(READERS["ordinary"]), api_client(AGENT), api_client(APPROVER)
    category = Category.objects.order_by("id").values_list("id", flat=True).first()
    label = Label.objects.order_by("id").values_list("id", flat=True).first()
    body: dict[str, Any] = {"description": "Created by the benchmark.", "priority": "medium"}
    body |= {"categories": [category] if category else [], "labels": [label] if label else []}
    created: list[int] = []

    def create(i: int) -> Any:
        response = requester.post("/api/v1/tickets/", body | {"title": f"In-process ticket {i}"}, format="json")
        if response.status_code == 201:
            created.append(response.json()["id"])
        return response

    def comment(i: int) -> Any:
        ticket = created[i % len(created)]
        return requester.post(f"/api/v1/tickets/{ticket}/comments/", {"note": f"Any news? ({i})"}, format="json")

    in_progress = raw_ids(AGENT_TICKETS_IN_PROGRESS, {"user": user(AGENT).pk, "limit": count})
    completing = raw_ids(COMPLETING_ROLE_SLOTS, {"user": user(APPROVER).pk, "limit": count})
    if len(in_progress) < count or len(completing) < count:
        raise SystemExit(f"too few tickets in progress ({len(in_progress)}) or completing slots ({len(completing)})")

    def transition(i: int) -> Any:
        body = {"status": "resolved", "comment": "bench"}
        return agent.post(f"/api/v1/tickets/{in_progress[i]}/transition/", body, format="json")

    def approve(i: int) -> Any:
        return approver.post(f"/api/v1/approvals/{completing[i]}/approve/", {"comment": "Approved."}, format="json")

    out = []
    for name, kind, request, expect in (
        ("create ticket", "ordinary", create, 201),
        ("comment", "ordinary", comment, 201),
        ("transition", "agent", transition, 200),
        ("approve (completes the process)", "approver", approve, 200),
    ):
        out.append({"name": name, "user": kind, **figure(count, request, expect=expect, warmup=0)})
    completed = ApprovalProcessStepApprover.objects.filter(id__in=completing, process__status=ProcessStatus.APPROVED)
    if completed.count() != count:
        raise SystemExit(f"only {completed.count()} of {count} approvals completed their process")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=50, help="Timed requests per read figure (default 50).")
    parser.add_argument("--writes", type=int, default=5, help="Requests per write figure (default 5).")
    args = parser.parse_args()
    figures = reads(args.runs) + writes(args.writes)
    print(json.dumps({"tickets": Ticket.objects.count(), "figures": figures}))


if __name__ == "__main__":
    main()
