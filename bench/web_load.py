"""Benchmark: a team keeping the inbox open, against `roost run` on PostgreSQL.

Starts `roost run` as shipped (production settings behind a TLS proxy on loopback,
the web process and the worker), seeds one organisation through the services (agents,
channels on the sandbox network, conversations ingested from it), gives every agent a
signed-in session (the first through the sign-in page, the others through Django's own
login on the same session store), then, from one process with a lean async HTTP/1.1
client (bench/_http.py; a general client would take much of the server's CPU), each of
N agents (default 300), with connections of its own as a browser has, does what an open
inbox does:

- polls its team's queue every 10 s (`/inbox/?queue=team`, as htmx does, with the browser's
  If-None-Match from the last answer);
- polls its open conversation every 5 s (`/inbox/c/<id>/thread/?after=<last>`);
- and 30 of them work: open a conversation page, read for 5 to 15 s, reply, see the
  page again, move to another conversation.

Reported per page: requests, p50/p95/p99 in milliseconds, answers by status, and
errors (a status of 400 or more, or no whole answer within 30 s). The reference is the same
pages fetched one at a time (no concurrency) from the same server in the same run,
before the load. Target: p95 of 150 ms or less for both polled pages, and no error.
`ratio` is the reference's p95 over the loaded p95 of the slower polled page (1 would
be: the load costs nothing).

Needs PostgreSQL in DATABASE_URL (use a scratch database); the sandbox network gets a
database of its own beside it (`<name>_sandbox`), created if missing.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import random
import re
import secrets
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _http
from _setup import ROOT
from publish_burst import ensure_database, sandbox_url

TARGET_P95_MS = 150.0
PASSWORD = "load-test-password-7431"
QUEUE_EVERY_S = 10.0
THREAD_EVERY_S = 5.0
TIMEOUT_S = 30.0
WARMUP_S = 10.0
POLLED = ("queue_poll", "thread_poll")
QUEUE_URL = "/inbox/?queue=team"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def production_environment(database_url: str, var_dir: str, port: int) -> dict[str, str]:
    """What `roost run` needs to start: its own secrets, loopback as the TLS proxy."""
    key = base64.b64encode(secrets.token_bytes(32)).decode()
    return {
        "DATABASE_URL": database_url,
        "ROOST_SANDBOX_DATABASE_URL": sandbox_url(database_url),
        "ROOST_VAR_DIR": var_dir,
        "ROOST_SECRET_KEY": secrets.token_urlsafe(50),
        "ROOST_ENCRYPTION_KEYS": f"bench:{key}",
        "ROOST_ALLOWED_HOSTS": "127.0.0.1",
        "ROOST_TRUSTED_PROXIES": "127.0.0.1",
        "ROOST_BASE_URL": f"http://127.0.0.1:{port}",
    }


def setup(environment: dict[str, str]) -> None:
    ensure_database(environment["DATABASE_URL"])
    ensure_database(environment["ROOST_SANDBOX_DATABASE_URL"])
    os.environ.update(environment)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "roost.config.settings.demo")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    import logging

    from django.core.management import call_command

    logging.getLogger("httpx").setLevel(logging.WARNING)

    call_command("migrate", interactive=False, verbosity=0)
    call_command("migrate", database="sandbox", interactive=False, verbosity=0)


def seed(agents: int, channels: int, fans: int):  # type: ignore[no-untyped-def]
    """An organisation with `agents` community managers in a team per channel, `channels`
    sandbox channels and `fans` direct-message conversations on each, through the
    services; the conversations of each team, and each conversation's last message."""
    from roost.channels import services as channel_services
    from roost.core import services
    from roost.core.actors import SYSTEM
    from roost.core.models import Role
    from roost.inbox import ingest
    from roost.inbox.models import Conversation, Message
    from roost.inbox.routing.rules import RoutingRuleSpec, routing_rule_create
    from roost.sandbox.channels import sandbox_channel_connect
    from roost.sandbox.models import SandboxAccount
    from roost.sandbox.services import sandbox_inbound_add

    tag = f"{os.getpid()}{time.time_ns() % 10**8}"
    org = services.organization_create(name="Web load", slug=f"web-load-{tag}", is_demo=True)
    admin = services.user_create(
        organization=org, actor=SYSTEM, email=f"admin-{tag}@load.example", name="Admin"
    )
    services.membership_grant(actor=SYSTEM, user=admin, role=Role.ADMIN)
    group = services.channel_group_create(organization=org, actor=admin, name="Support")
    people = []
    for n in range(agents):
        person = services.user_create(
            organization=org,
            actor=admin,
            email=f"agent{n}-{tag}@load.example",
            name=f"Agent {n}",
            password=PASSWORD if n == 0 else None,
        )
        services.membership_grant(actor=admin, user=person, role=Role.COMMUNITY_MANAGER)
        people.append(person)
    # A team per channel: a routing rule sends the channel's conversations to its team,
    # and each agent polls their team's queue.
    teams = []
    for c in range(channels):
        team = services.team_create(organization=org, actor=admin, name=f"Team {c}")
        for person in people[c::channels]:
            services.team_member_add(team=team, actor=admin, user=person)
        teams.append(team)
    texts = ("Where is my order {n}?", "My parcel {n} arrived broken.", "Can I change my address?")
    by_team: list[list[int]] = []
    for c in range(channels):
        channel = channel_services.channel_create(
            actor=admin, organization=org, network="x", placement="post",
            handle=f"brand{c}-{tag}", channel_group=group, primary_owner=people[c % agents],
        )  # fmt: skip
        sandbox_channel_connect(actor=admin, channel=channel)
        routing_rule_create(
            actor=admin, spec=RoutingRuleSpec(name=f"{channel.handle} to its team",
                                              channel=channel, team=teams[c]),
        )  # fmt: skip
        account = SandboxAccount.objects.get(network="x", handle=channel.handle)
        for f in range(fans):
            sandbox_inbound_add(
                account=account,
                kind="direct_message",
                author_handle=f"fan{c}x{f}",
                text=texts[f % len(texts)].format(n=1000 + f),
            )
        ingest.channel_ingest(channel=channel)
        by_team.append(
            list(
                Conversation.objects.filter(channel=channel, team=teams[c])
                .order_by("pk")
                .values_list("pk", flat=True)
            )
        )
    if any(len(conversations) != fans for conversations in by_team):
        raise SystemExit("correctness: the routing rules did not give each team its channel")
    last = dict(
        Message.objects.filter(organization=org)
        .order_by("conversation_id", "pk")
        .values_list("conversation_id", "pk")
    )  # the last pk of each conversation wins
    return people, by_team, last


def session_cookies(people) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    """A signed-in session for each person but the first (who signs in through the page):
    Django's own login on the server's session store, without a password hash to check
    for each of hundreds of agents."""
    from django.conf import settings
    from django.test import Client

    cookies = [{}]
    for person in people[1:]:
        client = Client()
        client.force_login(person)
        cookies.append(
            {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value}
        )
    return cookies


class Recorder:
    def __init__(self) -> None:
        self.times: dict[str, list[float]] = defaultdict(list)
        self.statuses: dict[str, Counter[str]] = defaultdict(Counter)
        self.errors: Counter[str] = Counter()
        self.recording = True

    def add(self, page: str, started: float, status: str) -> None:
        if not self.recording:
            return
        self.times[page].append((time.perf_counter() - started) * 1000)
        self.statuses[page][status] += 1
        if not status.isdigit() or int(status) >= 400:
            self.errors[page] += 1


class Agent:
    """One person with the inbox open: their session, and what their page shows."""

    def __init__(
        self, email: str, conversation: int, cookies: dict[str, str], client: _http.Client
    ) -> None:
        self.email = email
        self.client = client  # the agent's browser: connections of its own
        self.cookies = dict(cookies)
        self.queue_etag = ""
        self.conversation = conversation
        self.after = 0

    def headers(self, **extra: str) -> dict[str, str]:
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return {"Cookie": cookie, **extra}

    def keep_cookies(self, response) -> None:  # type: ignore[no-untyped-def]
        for header in response.header_list("set-cookie"):
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]


AFTER = re.compile(r"thread/\?after=(\d+)")
SEEN = re.compile(r'name="seen_message_id" value="(\d+)"')
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


async def request(client, recorder: Recorder, page: str, method: str, url: str, **kwargs):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    try:
        # The whole request, waiting for a connection included, as a browser would wait.
        response = await asyncio.wait_for(client.request(method, url, **kwargs), TIMEOUT_S)
    except Exception as error:  # timeouts, refused or dropped connections
        recorder.add(page, started, type(error).__name__)
        return None
    recorder.add(page, started, str(response.status_code))
    return response


async def sign_in(client, agent: Agent, base_headers: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    page = await client.get("/signin/", headers=base_headers)
    agent.keep_cookies(page)
    token = CSRF.search(page.text)
    assert token, "the sign-in page has no form token"
    answer = await client.post(
        "/signin/",
        data={"email": agent.email, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)},
        headers=agent.headers(**base_headers),
    )
    agent.keep_cookies(answer)
    if answer.status_code != 302 or "roost_session" not in agent.cookies:
        raise SystemExit(f"correctness: {agent.email} could not sign in ({answer.status_code})")


async def poll_queue(client, agent: Agent, recorder: Recorder, hx: dict[str, str], stop) -> None:  # type: ignore[no-untyped-def]
    await asyncio.sleep(random.uniform(0, QUEUE_EVERY_S))
    while not stop.is_set():
        started = time.monotonic()
        extra = {"If-None-Match": agent.queue_etag} if agent.queue_etag else {}
        response = await request(
            client, recorder, "queue_poll", "GET", QUEUE_URL,
            headers=agent.headers(**hx, **extra),
        )  # fmt: skip
        if response is not None:
            agent.keep_cookies(response)
            if response.status_code == 200:
                agent.queue_etag = response.header("etag")
        await asyncio.sleep(max(0.0, QUEUE_EVERY_S - (time.monotonic() - started)))


async def poll_thread(client, agent: Agent, recorder: Recorder, hx: dict[str, str], stop) -> None:  # type: ignore[no-untyped-def]
    await asyncio.sleep(random.uniform(0, THREAD_EVERY_S))
    while not stop.is_set():
        started = time.monotonic()
        url = f"/inbox/c/{agent.conversation}/thread/?after={agent.after}"
        response = await request(
            client, recorder, "thread_poll", "GET", url, headers=agent.headers(**hx)
        )
        if response is not None:
            agent.keep_cookies(response)
            if response.status_code == 200 and (found := AFTER.search(response.text)):
                agent.after = int(found.group(1))
        await asyncio.sleep(max(0.0, THREAD_EVERY_S - (time.monotonic() - started)))


async def work(client, agent: Agent, mine: list[int], recorder, base: dict[str, str], stop) -> None:  # type: ignore[no-untyped-def]
    """Open a conversation, read, reply, see the page again, take the next one."""
    await asyncio.sleep(random.uniform(0, 5))
    n = 0
    while not stop.is_set():
        conversation = mine[n % len(mine)]
        n += 1
        url = f"/inbox/c/{conversation}/"
        page = await request(client, recorder, "conversation_page", "GET", url,
                             headers=agent.headers(**base))  # fmt: skip
        if page is None or page.status_code != 200:
            await asyncio.sleep(5)
            continue
        agent.keep_cookies(page)
        seen, after = SEEN.search(page.text), AFTER.search(page.text)
        agent.conversation = conversation
        agent.after = int(after.group(1)) if after else agent.after
        await asyncio.sleep(random.uniform(5, 15))
        form = {
            "action": "reply",
            "text": f"Thanks for writing, we are on it ({n}).",
            "seen_message_id": seen.group(1) if seen else "",
            "csrfmiddlewaretoken": agent.cookies.get("roost_csrf", ""),
        }
        answer = await request(client, recorder, "reply", "POST", f"{url}act/", data=form,
                               headers=agent.headers(**base))  # fmt: skip
        if answer is not None:
            agent.keep_cookies(answer)
            if answer.status_code == 302:
                again = await request(client, recorder, "conversation_page", "GET", url,
                                      headers=agent.headers(**base))  # fmt: skip
                if again is not None and (after := AFTER.search(again.text)):
                    agent.after = int(after.group(1))


async def sequential(client, agent: Agent, recorder: Recorder, base, hx, rounds: int) -> None:  # type: ignore[no-untyped-def]
    """The reference: the same pages, one request at a time, nothing else running."""
    for _ in range(rounds):
        extra = {"If-None-Match": agent.queue_etag} if agent.queue_etag else {}
        response = await request(client, recorder, "queue_poll", "GET", QUEUE_URL,
                                 headers=agent.headers(**hx, **extra))  # fmt: skip
        if response is not None and response.status_code == 200:
            agent.queue_etag = response.header("etag")
        url = f"/inbox/c/{agent.conversation}/thread/?after={agent.after}"
        await request(client, recorder, "thread_poll", "GET", url, headers=agent.headers(**hx))
        await request(client, recorder, "conversation_page", "GET",
                      f"/inbox/c/{agent.conversation}/", headers=agent.headers(**base))  # fmt: skip


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


def summarize(recorder: Recorder) -> dict[str, dict[str, object]]:
    return {
        page: {
            "requests": len(times),
            "p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(percentile(times, 0.95), 1),
            "p99_ms": round(percentile(times, 0.99), 1),
            "errors": recorder.errors[page],
            "statuses": dict(recorder.statuses[page]),
        }
        for page, times in sorted(recorder.times.items())
    }


async def run_load(port: int, emails: list[str], cookies: list[dict[str, str]],
                   by_team: list[list[int]], last: dict[int, int], active: int,
                   duration: float, runs: int, warmup: float) -> dict[str, object]:  # fmt: skip
    base = {"X-Forwarded-Proto": "https", "Origin": f"https://127.0.0.1:{port}"}
    hx = {**base, "HX-Request": "true"}
    teams = len(by_team)
    # Agent n is in team n % teams (see seed) and has one of its conversations open.
    agents = [
        Agent(
            email,
            by_team[n % teams][(n // teams) % len(by_team[n % teams])],
            cookie,
            _http.Client("127.0.0.1", port),
        )
        for n, (email, cookie) in enumerate(zip(emails, cookies, strict=True))
    ]
    for agent in agents:
        agent.after = last[agent.conversation]
    started = time.perf_counter()
    await sign_in(agents[0].client, agents[0], base)
    signin_s = time.perf_counter() - started

    reference = Recorder()
    await sequential(agents[0].client, agents[0], reference, base, hx, rounds=3)  # warm
    reference = Recorder()
    await sequential(agents[0].client, agents[0], reference, base, hx, rounds=30)

    loaded_runs = []
    for _ in range(runs):
        recorder = Recorder()
        recorder.recording = False
        stop = asyncio.Event()
        tasks = []
        for n, agent in enumerate(agents):
            tasks.append(asyncio.create_task(poll_queue(agent.client, agent, recorder, hx, stop)))
            tasks.append(asyncio.create_task(poll_thread(agent.client, agent, recorder, hx, stop)))
            if n < active:
                # The team's conversations, shared out among its replying agents.
                team, rank = n % teams, n // teams
                mine = by_team[team][rank :: len(range(team, active, teams))]
                tasks.append(
                    asyncio.create_task(work(agent.client, agent, mine, recorder, base, stop))
                )
        await asyncio.sleep(warmup)
        recorder.recording = True
        await asyncio.sleep(duration)
        recorder.recording = False
        stop.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        loaded_runs.append(summarize(recorder) | {"_seconds": duration})
        await asyncio.sleep(3)
    for agent in agents:
        await agent.client.close()
    return {"signin_s": signin_s, "reference": summarize(reference), "runs": loaded_runs}


def median_run(runs: list[dict[str, object]]) -> dict[str, object]:
    """The run whose slower polled page had the median p95."""

    def worst(run: dict[str, object]) -> float:
        return max(float(run[page]["p95_ms"]) for page in POLLED if page in run)  # type: ignore[index]

    return sorted(runs, key=worst)[len(runs) // 2]


def start_server(environment: dict[str, str], port: int, run_args: list[str], log: Path):  # type: ignore[no-untyped-def]
    command = [sys.executable, "-m", "roost.cli", "run", "--port", str(port), *run_args]
    # `roost run` chooses its own (production) settings.
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"} | environment
    process = subprocess.Popen(
        command, cwd=ROOT, env=env,
        stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    import httpx

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"roost run exited ({process.returncode}); see {log}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    process.terminate()
    raise SystemExit(f"roost run did not answer within 120 s; see {log}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a reduced size that runs in a minute")
    parser.add_argument("--agents", type=int, help="simulated agents (default 300; quick 30)")
    parser.add_argument("--active", type=int, default=30, help="of them, how many reply")
    parser.add_argument("--duration", type=float, help="seconds measured under load per run")
    parser.add_argument("--runs", type=int, help="load runs, the median reported (default 3)")
    parser.add_argument("--run-args", default="", help="extra arguments for `roost run`")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print("web_load needs PostgreSQL: set DATABASE_URL=postgres://... (a scratch database)")
        sys.exit(3)
    agents = args.agents or (30 if args.quick else 300)
    active = min(args.active, agents) if not args.quick else min(args.active, 8)
    duration = args.duration or (12.0 if args.quick else 60.0)
    runs = args.runs or (1 if args.quick else 3)
    channels, fans = (4, 10) if args.quick else (30, 10)
    port = free_port()
    var_dir = tempfile.mkdtemp(prefix="roost-web-load-")
    environment = production_environment(url, var_dir, port)
    setup(environment)
    started = time.perf_counter()
    people, by_team, last = seed(agents, channels, fans)
    conversations = [pk for team in by_team for pk in team]
    cookies = session_cookies(people)
    emails = [person.email for person in people]
    seeded_s = time.perf_counter() - started
    log = Path(var_dir) / "roost-run.log"
    server = start_server(environment, port, shlex.split(args.run_args), log)
    try:
        warmup = WARMUP_S / 2 if args.quick else WARMUP_S
        result = asyncio.run(
            run_load(port, emails, cookies, by_team, last, active, duration, runs, warmup)
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
    reference: dict[str, dict[str, object]] = result["reference"]  # type: ignore[assignment]
    loaded = median_run(result["runs"])  # type: ignore[arg-type]
    loaded.pop("_seconds", None)
    errors = sum(int(page["errors"]) for page in loaded.values())  # type: ignore[index]
    value = max(float(loaded[page]["p95_ms"]) for page in POLLED)  # type: ignore[index]
    reference_value = max(float(reference[page]["p95_ms"]) for page in POLLED)  # type: ignore[index]
    served = sum(int(page["requests"]) for page in loaded.values()) / duration  # type: ignore[index]
    print(
        f"roost run {args.run_args or '(defaults)'} on PostgreSQL; {agents} agents ({active} "
        f"replying), {len(conversations)} conversations; seeded in {seeded_s:.0f} s (one agent "
        f"signed in through the page in {result['signin_s']:.1f} s); {runs} run(s) of "
        f"{duration:.0f} s under load, median run shown; {served:.0f} requests/s served:"
    )
    for page, figures in loaded.items():
        ref = reference.get(page, {})
        print(
            f"  {page:18} {figures['requests']:6} req  p50 {figures['p50_ms']:7.1f}  "
            f"p95 {figures['p95_ms']:7.1f}  p99 {figures['p99_ms']:7.1f} ms  "
            f"errors {figures['errors']:4}  {figures['statuses']}   one at a time: "
            f"p50 {ref.get('p50_ms', 0):6.1f}  p95 {ref.get('p95_ms', 0):6.1f} ms"
        )
    summary = {
        "bench": "web_load",
        "size": {"agents": agents, "replying": active, "conversations": len(conversations),
                 "seconds": duration, "runs": runs, "database": "postgresql",
                 "run_args": args.run_args},
        "value": value,
        "unit": "ms p95 under load, slower of the two polled pages",
        "better": "lower",
        "reference": "the same pages one at a time, same server, same run",
        "reference_value": reference_value,
        "ratio": round(reference_value / value, 3) if value else 0.0,
        "target": TARGET_P95_MS,
        "ok": value <= TARGET_P95_MS and errors == 0,
        "errors": errors,
        "requests_per_s": round(served, 1),
        "pages": loaded,
        "reference_pages": reference,
    }  # fmt: skip
    results_dir = ROOT / "bench" / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    (results_dir / "web_load.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
