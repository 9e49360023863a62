"""Benchmark: the busy inbox pages on a large inbox, against plain indexed SELECTs.

Seeds 1,000,000 messages in 200,000 conversations on 24 channels (COPY through psycopg;
`--quick`: 100,000 in 20,000), a third of them open, with teams, assignees, SLA states
and authors who come back. Then, signed in as an agent of one of 8 teams (a community
manager of the whole organisation), it measures the server time of three pages through
Django's test client, so the view, its queries and the template are all measured:

- the "My team" queue (`/inbox/?queue=team`), 50 rows a page;
- the "Breaching soon" queue (`/inbox/?queue=breaching`);
- a conversation page (`/inbox/c/<id>/`), over a sample of open conversations.

The reference for each page is one plain SQL SELECT of the rows the page shows (joined
as the page needs them, on the same indexes), run on the same connection in the same
run. Reported: p50 and p95 of each page in milliseconds, its query count, and the same
for the reference. Target: p95 of 50 ms or less for every page.

Needs PostgreSQL in DATABASE_URL (use a scratch database). The seeded rows are deleted
at the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import ROOT, setup_django

TARGET_P95_MS = 50.0
CHANNELS = 24
TEAMS = 8
AGENTS = 30
NETWORKS = ("x", "bluesky", "mastodon", "linkedin", "threads", "instagram")
TEXTS = (
    "Where is my order {n}? It has been {d} days.",
    "I want a refund for order {n}, it arrived broken.",
    "Love the new collection! Great job 😍",
    "How do I change my delivery address?",
    "Gdzie jest moje zamówienie {n}? Czekam {d} dni.",
    "Dziękuję za szybką pomoc!",
    "Thanks, that solved it.",
    "Your app crashes every time I open my basket.",
)


def seed_people():  # type: ignore[no-untyped-def]
    from roost.channels.models import Channel, ChannelStatus
    from roost.core.models import ChannelGroup, Membership, Organization, Role, Team, User

    tag = f"{os.getpid()}-{time.time_ns()}"
    org = Organization.objects.create(
        name="Views", slug=f"inbox-views-{tag}", is_demo=True, require_two_factor=False
    )
    groups = [ChannelGroup.objects.create(organization=org, name=f"Group {n}") for n in range(3)]
    agents = []
    for n in range(AGENTS):
        agent = User.objects.create_user(
            email=f"agent{n}-{tag}@views.example",
            password=None,
            organization=org,
            name=f"Agent {n}",
        )
        Membership.objects.create(organization=org, user=agent, role=Role.COMMUNITY_MANAGER)
        agents.append(agent)
    teams = [Team.objects.create(organization=org, name=f"Team {n}") for n in range(TEAMS)]
    for n, agent in enumerate(agents):
        agent.teams.add(teams[n % TEAMS])
    # Paused: the pages show them all the same, and no polling job tries to fetch them.
    channels = Channel.objects.bulk_create(
        Channel(organization=org, network=NETWORKS[n % len(NETWORKS)], placement="post",
                connector="sandbox", handle=f"brand{n}-{tag}", channel_group=groups[n % 3],
                primary_owner=agents[n % AGENTS], status=ChannelStatus.PAUSED)
        for n in range(CHANNELS)
    )  # fmt: skip
    return org, agents, teams, channels


def message_counts(rnd: random.Random, conversations: int, messages: int) -> list[int]:
    """How many messages each conversation has: 1 to 15, `messages` in all."""
    counts = [round(rnd.triangular(1, 15, 1)) for _ in range(conversations)]
    while (gap := messages - sum(counts)) != 0:
        n = rnd.randrange(conversations)
        if gap > 0 and counts[n] < 15:
            counts[n] += 1
        elif gap < 0 and counts[n] > 1:
            counts[n] -= 1
    return counts


def tsv(*values: object) -> str:
    """One COPY line: tab-separated, \\N for NULL (the values hold no tabs or newlines)."""
    return "\t".join("\\N" if v is None else str(v) for v in values) + "\n"


def seed_inbox(org, agents, teams, channels, conversations: int, messages: int) -> None:  # type: ignore[no-untyped-def]
    """COPY the conversations, then their messages: five on average, one to fifteen.
    A few authors write often (the author history has something to show); most once."""
    from django.db import connection

    from roost.inbox.models import InboxIdentity

    rnd = random.Random(42)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    authors = max(conversations // 3, 1)
    agent_ids, team_ids = [a.pk for a in agents], [t.pk for t in teams]
    channel_ids = [c.pk for c in channels]
    identity_of = {c.pk: InboxIdentity.objects.for_channel(c).pk for c in channels}
    connection.ensure_connection()
    raw = connection.connection
    conversation_columns = (
        "organization_id, identity_id, channel_id, key, kind, author_handle, author_name, "
        "subject_external_id, status, priority, language, sentiment, intent, tags, "
        "assignee_id, team_id, first_message_at, last_message_at, first_response_at, "
        "closed_at, snoozed_until, sla_state, sla_due_at, sla_alerted, vip"
    )
    shapes = []  # (channel id, author, first, last) of each conversation, in order
    lines = []
    for n in range(conversations):
        channel_id = rnd.choice(channel_ids)
        author = f"fan{int(authors * rnd.random() ** 2)}"
        last = now - dt.timedelta(minutes=rnd.randrange(180 * 24 * 60))
        first = last - dt.timedelta(minutes=rnd.randrange(1, 3 * 24 * 60))
        roll = rnd.random()
        status = (
            "closed" if roll < 0.62 else "open" if roll < 0.9
            else "waiting" if roll < 0.97 else "snoozed"
        )  # fmt: skip
        sla_state, sla_due = "", None
        if status != "closed":
            sla_roll = rnd.random()
            sla_state = "breached" if sla_roll < 0.04 else "warning" if sla_roll < 0.12 else "ok"
            sla_due = now + dt.timedelta(minutes=rnd.randrange(-600, 3000))
        kind = "direct_message" if n % 3 == 0 else "comment"
        lines.append(tsv(
            org.pk, identity_of[channel_id], channel_id, f"{kind}:{n}", kind, author, "", "",
            status,
            rnd.choice(("low", "normal", "normal", "normal", "high", "urgent")),
            rnd.choice(("en", "en", "pl", "de")), "neutral", "question", "[]",
            rnd.choice(agent_ids) if rnd.random() < 0.6 else None,
            rnd.choice(team_ids) if rnd.random() < 0.85 else None,
            first, last, first + dt.timedelta(minutes=30) if status != "open" else None,
            last if status == "closed" else None,
            now + dt.timedelta(days=1) if status == "snoozed" else None,
            sla_state, sla_due, "", "f",
        ))  # fmt: skip
        shapes.append((channel_id, author, first, last))
    with raw.cursor() as cursor:
        with cursor.copy(f"COPY inbox_conversation ({conversation_columns}) FROM STDIN") as copy:
            copy.write("".join(lines))
        cursor.execute(
            "SELECT id FROM inbox_conversation WHERE organization_id = %s ORDER BY id", [org.pk]
        )
        ids = [row[0] for row in cursor.fetchall()]
        message_columns = (
            "organization_id, conversation_id, identity_id, channel_id, external_id, kind, "
            "direction, "
            "author_handle, author_name, author_followers, author_verified, sent_by_id, text, "
            "parent_external_id, url, created_at, received_at, language, sentiment, intent, "
            "priority"
        )
        counts = message_counts(rnd, conversations, messages)
        written = 0
        with cursor.copy(f"COPY inbox_message ({message_columns}) FROM STDIN") as copy:
            lines = []
            for conversation_id, count, (channel_id, author, first, last) in zip(
                ids, counts, shapes, strict=True
            ):
                step = (last - first) / max(count - 1, 1)
                for k in range(count):
                    roll = rnd.random()
                    direction = "inbound" if roll < 0.7 else "outbound" if roll < 0.95 else "note"
                    agent = rnd.choice(agent_ids) if direction != "inbound" else None
                    text = rnd.choice(TEXTS).format(n=10000 + written % 89999, d=2 + k)
                    created = first + step * k
                    lines.append(tsv(
                        org.pk, conversation_id, identity_of[channel_id], channel_id,
                        f"m{written}", "comment",
                        direction, author, "", 0, "f", agent, text, "", "", created, created,
                        "en", "neutral", "question", "normal",
                    ))  # fmt: skip
                    written += 1
                if len(lines) >= 20_000:
                    copy.write("".join(lines))
                    lines = []
            copy.write("".join(lines))
    with connection.cursor() as cursor:  # autocommit: VACUUM cannot run in a transaction
        for table in ("inbox_conversation", "inbox_message"):
            cursor.execute(f"VACUUM ANALYZE {table}")


def unseed(org) -> None:  # type: ignore[no-untyped-def]
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM inbox_message WHERE organization_id = %s", [org.pk])
        cursor.execute("DELETE FROM inbox_conversation WHERE organization_id = %s", [org.pk])


REFERENCE_ROWS = """
SELECT c.id, c.author_handle, c.priority, c.status, c.last_message_at, c.snoozed_until,
       c.sla_due_at, c.sla_state, ch.handle, ch.network, ch.connector, u.name
FROM inbox_conversation c
JOIN channels_channel ch ON ch.id = c.channel_id
LEFT JOIN core_user u ON u.id = c.assignee_id
WHERE c.organization_id = %s AND c.status NOT IN ('closed', 'snoozed') AND {where}
ORDER BY {order} LIMIT 50
"""
REFERENCE_THREAD = """
SELECT m.id, m.direction, m.author_handle, m.kind, m.created_at, m.url, m.text, u.name
FROM inbox_message m LEFT JOIN core_user u ON u.id = m.sent_by_id
WHERE m.conversation_id = %s ORDER BY m.created_at, m.id
"""


def timings(action, runs: int) -> list[float]:  # type: ignore[no-untyped-def]
    action()  # warm
    times = []
    for n in range(runs):
        started = time.perf_counter()
        action(n)
        times.append((time.perf_counter() - started) * 1000)
    return times


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(viewer, teams, sample: list[int], runs: int) -> dict[str, dict[str, float]]:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(viewer)
    my_teams = [t.pk for t in teams if viewer.teams.filter(pk=t.pk).exists()]
    pages = {
        "team_queue": lambda n=0: client.get("/inbox/?queue=team"),
        "breaching_queue": lambda n=0: client.get("/inbox/?queue=breaching"),
        "conversation": lambda n=0: client.get(f"/inbox/c/{sample[n % len(sample)]}/"),
    }
    org_id = viewer.organization_id

    def rows(where: str, order: str, params: list[object]):  # type: ignore[no-untyped-def]
        def run(n: int = 0) -> None:
            with connection.cursor() as cursor:
                cursor.execute(REFERENCE_ROWS.format(where=where, order=order), [org_id, *params])
                cursor.fetchall()

        return run

    def thread(n: int = 0) -> None:
        with connection.cursor() as cursor:
            cursor.execute(REFERENCE_THREAD, [sample[n % len(sample)]])
            cursor.fetchall()

    references = {
        "team_queue": rows("c.team_id = ANY(%s)", "c.last_message_at DESC, c.id DESC", [my_teams]),
        "breaching_queue": rows("c.sla_state IN ('warning', 'breached')", "c.sla_due_at, c.id", []),
        "conversation": thread,
    }
    results = {}
    for name, page in pages.items():
        response = page()
        if response.status_code != 200:
            print(f"correctness: {name} answered {response.status_code}")
            sys.exit(1)
        with CaptureQueriesContext(connection) as queries:
            page()
        query_count = len(queries.captured_queries)  # before the next request clears them
        page_times = timings(page, runs)
        reference_times = timings(references[name], runs)
        results[name] = {
            "p50_ms": round(statistics.median(page_times), 2),
            "p95_ms": round(p(page_times, 0.95), 2),
            "queries": query_count,
            "reference_p50_ms": round(statistics.median(reference_times), 2),
            "reference_p95_ms": round(p(reference_times, 0.95), 2),
        }
    return results


def check_pages(viewer, sample: list[int]) -> None:  # type: ignore[no-untyped-def]
    """The pages show what they should: 50 rows, the thread's messages."""
    from django.test import Client

    from roost.inbox.models import Message

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(viewer)
    for queue in ("team", "breaching"):
        body = client.get(f"/inbox/?queue={queue}").content.decode()
        if body.count('class="conversation-row"') != 50:
            print(f"correctness: the {queue} queue does not show 50 rows")
            sys.exit(1)
    body = client.get(f"/inbox/c/{sample[0]}/").content.decode()
    expected = Message.objects.filter(conversation_id=sample[0]).count()
    if body.count("message-item") != expected:
        print(f"correctness: the conversation page does not show its {expected} messages")
        sys.exit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a reduced size that runs in a minute")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print("inbox_views needs PostgreSQL: set DATABASE_URL=postgres://... (a scratch database)")
        sys.exit(3)
    conversations, messages, runs = (
        (20_000, 100_000, 30) if args.quick else (200_000, 1_000_000, 60)
    )
    with tempfile.TemporaryDirectory() as var_dir:
        setup_django(var_dir)
        from roost.inbox.models import Conversation

        org, agents, teams, channels = seed_people()
        started = time.perf_counter()
        seed_inbox(org, agents, teams, channels, conversations, messages)
        seeded_s = time.perf_counter() - started
        try:
            viewer = agents[0]
            sample = list(
                Conversation.objects.filter(organization=org, status="open", team=teams[0])
                .order_by("pk")
                .values_list("pk", flat=True)[:40]
            )
            check_pages(viewer, sample)
            results = measure(viewer, teams, sample, runs)
        finally:
            unseed(org)
    worst = max(r["p95_ms"] for r in results.values())
    reference_worst = max(r["reference_p95_ms"] for r in results.values())
    print(
        f"PostgreSQL; {messages} messages in {conversations} conversations "
        f"(seeded by COPY in {seeded_s:.0f} s); {runs} requests per page:"
    )
    for name, r in results.items():
        print(
            f"  {name:16} p50 {r['p50_ms']:7.1f} ms  p95 {r['p95_ms']:7.1f} ms  "
            f"{r['queries']:3d} queries   plain SELECT p50 {r['reference_p50_ms']:6.2f} ms  "
            f"p95 {r['reference_p95_ms']:6.2f} ms"
        )
    summary = {
        "bench": "inbox_views",
        "size": {"messages": messages, "conversations": conversations, "runs": runs,
                 "database": "postgresql"},
        "value": worst,
        "unit": "ms p95, slowest of the three pages",
        "better": "lower",
        "reference": "one plain indexed SELECT of the rows each page shows",
        "reference_value": reference_worst,
        "ratio": round(reference_worst / worst, 3),
        "target": TARGET_P95_MS,
        "ok": all(r["p95_ms"] <= TARGET_P95_MS for r in results.values()),
        "pages": results,
        "seed_s": round(seeded_s, 1),
    }  # fmt: skip
    results_dir = ROOT / "bench" / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    (results_dir / "inbox_views.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
