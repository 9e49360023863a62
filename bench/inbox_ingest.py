"""Benchmark: sustained inbox ingestion, against a plain bulk INSERT of the same rows.

Roost's polling job (`roost.inbox.ingest.channels_ingest_all`) fetches every active
channel's new inbound, up to 5 pages of 100 a poll, and stores them in one transaction:
drops what is already stored, classifies (language, sentiment, intent, priority),
threads replies under their parents, opens conversations, records SLA events, routes
new conversations through two routing rules (audited) and advances the cursor.

The feed is a realistic mix on 4 channels: comments under posts, replies to those
comments, direct messages and mentions, in English and Polish, with about 10% of
every page redelivered from earlier pages (networks deliver at least once).
It is served from memory by a connector local to this benchmark (in place of the
channel's connector lookup), so no network is measured. The reference inserts the same
unique rows with `Message.objects.bulk_create`, one transaction per page, into the same
table.

Measured: unique messages stored per second of wall time (duplicates cost time but
do not count), median of the runs, on PostgreSQL (DATABASE_URL, a scratch database)
and on a fresh SQLite file, each in its own process; and each process's peak resident
memory. Beside it, the CPU time per message, which other work on a shared machine
does not inflate as it does wall time: this process's (`time.process_time`), and the
database server's share (its backend process, when the server runs on this machine).
Every run checks what was stored (each message once, replies in their parent's
conversation, the expected conversations, SLA events, routing) and exits 1 when it is
wrong.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import ROOT, setup_django

TARGET_RATE = 2000.0  # unique messages/s on PostgreSQL, classification on
TARGET_RSS_MB = 500.0
CHANNELS = 4
PAGE_SIZE = 100
REDELIVERED = 0.10
CONTINUING = 0.70  # share of new messages that continue a recent conversation
FEED_CONNECTOR = "bench_feed"

PRODUCTS = ("Aero kettle", "Nimbus headphones", "Terra backpack", "Lumo lamp", "Vela jacket")
NAMES = ("Ania", "Kuba", "Marta", "Piotr", "Emma", "Liam", "Olivia", "Noah")
ENGLISH = (
    "Where is my order {n}? It has been {d} days and still nothing.",
    "I want a refund for order {n}, the {p} arrived broken.",
    "Love the new {p}! Great job, team 😍",
    "How do I change the delivery address on order {n}?",
    "Your app keeps crashing when I open the {p} page. Please fix it.",
    "Thanks for the quick help yesterday, {name}!",
    "Is the {p} available in blue, or only in black?",
    "Worst customer service ever. Nobody answers my emails about order {n}.",
    "Can I still get a refund if I opened the box?",
    "The {p} is fine but delivery took {d} days, a bit slow.",
)
POLISH = (
    "Gdzie jest moje zamówienie {n}? Czekam już {d} dni i nic.",
    "Chcę zwrotu pieniędzy za zamówienie {n}, {p} przyszedł uszkodzony.",
    "Super nowy {p}! Dziękuję, świetna robota 😍",
    "Jak zmienić adres dostawy dla zamówienia {n}?",
    "Aplikacja ciągle się zawiesza, kiedy otwieram {p}. Proszę o pomoc.",
    "Dziękuję za szybką pomoc wczoraj, {name}!",
    "Czy {p} jest dostępny w kolorze niebieskim?",
    "Najgorsza obsługa klienta. Nikt nie odpowiada na moje maile!",
    "Czy mogę jeszcze zwrócić towar, jeśli otworzyłem pudełko?",
    "{p} jest w porządku, ale dostawa trwała {d} dni.",
)


@dataclass
class Feed:
    """One channel's inbound, generated page by page from a seed, so that the same seed
    always gives the same pages. Also works out which conversations the items form."""

    channel_index: int
    seed: int
    started_at: dt.datetime
    unique_target: int
    pages: dict[int, tuple] = field(default_factory=dict)  # type: ignore[type-arg]
    generated: int = 0  # pages generated so far
    unique: int = 0
    redelivered: int = 0
    recent: list = field(default_factory=list)  # type: ignore[type-arg]
    threads: list = field(default_factory=list)  # type: ignore[type-arg]  # recent starts
    key_of: dict[str, str] = field(default_factory=dict)  # external id -> conversation key
    first_text: dict[str, str] = field(default_factory=dict)  # conversation key -> text

    def __post_init__(self) -> None:
        self.random = random.Random(self.seed)

    def _text(self) -> tuple[str, str]:
        rnd = self.random
        polish = rnd.random() < 0.35
        template = rnd.choice(POLISH if polish else ENGLISH)
        text = template.format(
            n=rnd.randint(10_000, 99_999),
            d=rnd.randint(2, 30),
            p=rnd.choice(PRODUCTS),
            name=rnd.choice(NAMES),
        )
        hint = ("pl" if polish else "en") if rnd.random() < 0.3 else ""
        return text, hint

    def _new_item(self):  # type: ignore[no-untyped-def]
        """Most messages continue a recent conversation (a reply under a comment, another
        direct message); the rest start one (a comment on a post, a first direct message,
        a mention)."""
        from roost.channels.connectors.base import Inbound, InboundKind

        rnd = self.random
        n = self.unique
        external_id = f"c{self.channel_index}-m{n}"
        text, hint = self._text()
        parent = ""
        if self.threads and rnd.random() < CONTINUING:
            kind, author, parent_id, key = rnd.choice(self.threads[-300:])
            if kind == InboundKind.COMMENT:
                kind, parent = InboundKind.REPLY, parent_id
                if rnd.random() < 0.2:  # someone else joins the thread
                    author = f"fan{rnd.randint(1, 50_000)}"
        else:
            author = f"fan{rnd.randint(1, 50_000)}"
            roll = rnd.random()
            if roll < 0.45:
                kind = InboundKind.COMMENT
                parent = f"c{self.channel_index}-post{rnd.randint(1, 50)}"
                key = f"post:{parent}:{author}"
                self.threads.append((kind, author, external_id, key))
            elif roll < 0.85:
                kind, key = InboundKind.DIRECT_MESSAGE, f"dm:{author}"
                self.threads.append((kind, author, "", key))
            else:
                kind, key = InboundKind.MENTION, f"mention:{external_id}"
        self.key_of[external_id] = key
        self.first_text.setdefault(key, text)
        self.unique += 1
        return Inbound(
            external_id=external_id,
            kind=kind,
            author_handle=author,
            text=text,
            created_at=self.started_at + dt.timedelta(seconds=n),
            parent_external_id=parent,
            url=f"https://feed.example/{external_id}",
            language=hint,
        )

    def _generate(self) -> tuple:  # type: ignore[type-arg]
        if self.unique >= self.unique_target:
            return ()
        items, fresh = [], []
        for _ in range(PAGE_SIZE):
            if self.recent and self.random.random() < REDELIVERED:
                items.append(self.random.choice(self.recent))
                self.redelivered += 1
            elif self.unique < self.unique_target:
                fresh.append(self._new_item())
                items.append(fresh[-1])
        self.recent = (self.recent + fresh)[-1000:]
        return tuple(items)

    def page(self, index: int) -> tuple:  # type: ignore[type-arg]
        while self.generated <= index:
            self.pages[self.generated] = self._generate()
            self.generated += 1
            self.pages.pop(self.generated - 3, None)
        return self.pages[index]


FEEDS: dict[int, Feed] = {}  # channel id -> its feed


def feed_connector():  # type: ignore[no-untyped-def]
    """A connector that serves `FEEDS` from memory; cursor = the next page's number."""
    from roost.channels.connectors.base import Capability, Connector, FetchPage, PermanentError

    class FeedConnector(Connector):
        name = FEED_CONNECTOR
        capabilities = frozenset(
            {Capability.FETCH_COMMENTS, Capability.FETCH_MENTIONS, Capability.FETCH_MESSAGES}
        )

        def verify(self):  # type: ignore[no-untyped-def]
            raise PermanentError("a benchmark feed has no account")

        def publish(self, request):  # type: ignore[no-untyped-def]
            raise PermanentError("a benchmark feed cannot publish")

        def fetch(self, *, cursor: str | None) -> FetchPage:
            feed = FEEDS.get(self.channel.id)
            if feed is None:
                return FetchPage(items=(), cursor=cursor)
            index = int(cursor or 0)
            items = feed.page(index)
            return FetchPage(items=items, cursor=str(index + 1) if items else cursor)

    return FeedConnector


def install_feed_connector() -> None:
    """Channels whose connector is `FEED_CONNECTOR` get the feed connector; the rest keep
    theirs. (The connector lookup is replaced where ingestion imported it.)"""
    from roost.channels.health import channel_ref
    from roost.inbox import ingest

    feed_class, real_lookup = feed_connector(), ingest.connector_for

    def connector_for(channel, *, purpose):  # type: ignore[no-untyped-def]
        if channel.connector != FEED_CONNECTOR:
            return real_lookup(channel, purpose=purpose)
        return feed_class(channel=channel_ref(channel), secret=None)

    ingest.connector_for = connector_for  # type: ignore[assignment]


def seed_organisation(run: int):  # type: ignore[no-untyped-def]
    from roost.channels.models import Channel
    from roost.core.models import ChannelGroup, Membership, Organization, Role, Team, User
    from roost.inbox.classify import Priority
    from roost.inbox.models import AssignmentMode, RoutingRule

    tag = f"{os.getpid()}-{time.time_ns()}-{run}"
    org = Organization.objects.create(
        name=f"Ingest {run}", slug=f"ingest-{tag}", is_demo=True, require_two_factor=False
    )
    group = ChannelGroup.objects.create(organization=org, name="Consumer")
    people = []
    for n in range(6):
        person = User.objects.create_user(
            email=f"agent{n}-{tag}@ingest.example",
            password=None,
            organization=org,
            name=f"Agent {n}",
        )
        Membership.objects.create(organization=org, user=person, role=Role.COMMUNITY_MANAGER)
        people.append(person)
    billing = Team.objects.create(organization=org, name="Billing")
    billing.members.set(people[:3])
    polish = Team.objects.create(organization=org, name="Polska")
    polish.members.set(people[3:])
    RoutingRule.objects.create(
        organization=org, position=0, name="Refunds", keyword="refund", team=billing,
        priority=Priority.HIGH, tags=["billing"], assignment=AssignmentMode.LOAD_BALANCED,
    )  # fmt: skip
    RoutingRule.objects.create(
        organization=org, position=1, name="Polish", language="pl", team=polish,
        tags=["pl"], assignment=AssignmentMode.ROUND_ROBIN,
    )  # fmt: skip
    channels = [
        Channel.objects.create(
            organization=org,
            network="x",
            placement="post",
            connector=FEED_CONNECTOR,
            handle=f"ingest{n}-{tag}",
            channel_group=group,
            primary_owner=people[0],
        )
        for n in range(CHANNELS)
    ]
    return org, channels, billing


def unseed(org) -> None:  # type: ignore[no-untyped-def]
    """Delete what a run stored (not its audit events: the log is append-only)."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ("inbox_message", "inbox_conversationevent", "inbox_conversation"):
            cursor.execute(f"DELETE FROM {table} WHERE organization_id = %s", [org.pk])  # noqa: S608


def new_feeds(unique: int, run: int, started_at: dt.datetime) -> list[Feed]:
    per_channel = unique // CHANNELS
    return [
        Feed(channel_index=n, seed=1000 * run + n, started_at=started_at, unique_target=per_channel)
        for n in range(CHANNELS)
    ]


def check_stored(org, channels, billing, feeds: list[Feed]) -> list[str]:  # type: ignore[no-untyped-def]
    """What was stored, against what the feed says should be; empty when all is right."""
    from django.db.models import F

    from roost.core.models import AuditEvent
    from roost.inbox.models import Conversation, ConversationEvent, Message

    problems = []
    unique = sum(f.unique for f in feeds)
    stored = Message.objects.filter(channel__in=channels).count()
    if stored != unique:
        problems.append(f"{stored} messages stored, {unique} expected")
    expected_keys = sum(len(f.first_text) for f in feeds)
    conversations = Conversation.objects.filter(channel__in=channels)
    if conversations.count() != expected_keys:
        problems.append(f"{conversations.count()} conversations, {expected_keys} expected")
    for feed, channel in zip(feeds, channels, strict=True):
        keys = dict(
            Message.objects.filter(channel=channel).values_list("external_id", "conversation__key")
        )
        wrong = sum(1 for ext, key in feed.key_of.items() if keys.get(ext) != key)
        if wrong:
            problems.append(f"{wrong} messages threaded into the wrong conversation")
    events = ConversationEvent.objects.filter(organization=org)
    customer = events.filter(kind="customer_message").count()
    opened = events.filter(kind="opened").count()
    if customer != unique or opened != expected_keys:
        problems.append(f"SLA events: {customer} customer messages, {opened} opened")
    routed = AuditEvent.objects.filter(organization=org, action="inbox.conversation.routed")
    teamed = conversations.filter(team__isnull=False)
    if routed.count() != teamed.count() or not teamed.exists():
        problems.append(f"{routed.count()} routing events for {teamed.count()} routed")
    misrouted = 0
    for feed, channel in zip(feeds, channels, strict=True):
        refunds = [key for key, text in feed.first_text.items() if "refund" in text.lower()]
        misrouted += (
            conversations.filter(channel=channel, key__in=refunds).exclude(team=billing).count()
        )
    if misrouted:
        problems.append(f"{misrouted} refund conversations not routed to billing")
    late = conversations.filter(last_message_at__lt=F("first_message_at")).count()
    if late:
        problems.append(f"{late} conversations end before they start")
    return problems


def server_cpu_seconds() -> float | None:
    """CPU time the database server has spent on this connection so far: PostgreSQL's
    backend process, read from /proc when the server runs on this machine and its
    processes can be read (None otherwise, and on SQLite, which runs in this process)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def roost_run(unique: int, run: int) -> dict[str, float]:
    from django.utils import timezone

    from roost.channels.models import Channel, ChannelStatus
    from roost.inbox.ingest import channels_ingest_all

    org, channels, billing = seed_organisation(run)
    feeds = new_feeds(unique, run, timezone.now() - dt.timedelta(days=30))
    FEEDS.clear()
    FEEDS.update({c.pk: f for c, f in zip(channels, feeds, strict=True)})
    polls = 0
    try:
        server_before = server_cpu_seconds()
        cpu_started, started = time.process_time(), time.perf_counter()
        while True:
            polls += 1
            stored = channels_ingest_all()
            if not stored and all(f.unique >= f.unique_target for f in feeds):
                break
        elapsed = time.perf_counter() - started
        client_cpu = time.process_time() - cpu_started
        server_after = server_cpu_seconds()
        problems = check_stored(org, channels, billing, feeds)
    finally:  # leave nothing for the next run's polling job to fetch, nor its rows
        Channel.objects.filter(pk__in=[c.pk for c in channels]).update(status=ChannelStatus.PAUSED)
        unseed(org)
    if problems:
        print("correctness: " + "; ".join(problems))
        sys.exit(1)
    total = sum(f.unique for f in feeds)
    server_cpu = (
        server_after - server_before
        if server_after is not None and server_before is not None
        else None
    )
    return {
        "rate": total / elapsed,
        # CPU time per stored message, in microseconds (the feed's own work included).
        "client_cpu_us": 1e6 * client_cpu / total,
        "server_cpu_us": None if server_cpu is None else 1e6 * server_cpu / total,
        "unique": total,
        "redelivered": sum(f.redelivered for f in feeds),
        "polls": polls,
    }


def reference_run(unique: int, run: int) -> float:
    """The same unique rows, `bulk_create` a page per transaction, nothing else."""
    from django.db import transaction
    from django.utils import timezone

    from roost.channels.models import ChannelStatus
    from roost.inbox.models import Conversation, Direction, Message

    org, channels, _ = seed_organisation(run + 100)
    holders = [
        Conversation.objects.create(
            organization=org, channel=c, key="reference", kind="comment", author_handle="-"
        )
        for c in channels
    ]
    feeds = new_feeds(unique, run, timezone.now() - dt.timedelta(days=30))
    started = time.perf_counter()
    for channel, holder, feed in zip(channels, holders, feeds, strict=True):
        seen: set[str] = set()
        index = 0
        while page := feed.page(index):
            rows = []
            for item in page:
                if item.external_id in seen:
                    continue
                seen.add(item.external_id)
                rows.append(
                    Message(
                        organization_id=org.pk,
                        conversation=holder,
                        identity_id=holder.identity_id,
                        channel=channel,
                        external_id=item.external_id,
                        kind=item.kind,
                        direction=Direction.INBOUND,
                        author_handle=item.author_handle,
                        text=item.text,
                        parent_external_id=item.parent_external_id,
                        url=item.url,
                        created_at=item.created_at,
                        language=item.language,
                    )
                )
            with transaction.atomic():
                Message.objects.bulk_create(rows)
            index += 1
    elapsed = time.perf_counter() - started
    for channel in channels:
        channel.status = ChannelStatus.PAUSED
        channel.save(update_fields=["status"])
    unseed(org)
    return sum(f.unique for f in feeds) / elapsed


def worker(unique: int, runs: int) -> None:
    """Measure on the database the environment names; print one JSON line."""
    with tempfile.TemporaryDirectory() as var_dir:
        setup_django(var_dir)
        from django.db import connection

        from roost.channels.models import Channel, ChannelStatus

        install_feed_connector()

        active = Channel.objects.filter(status=ChannelStatus.ACTIVE)
        active.filter(connector=FEED_CONNECTOR).update(status=ChannelStatus.PAUSED)  # leftovers
        if active.exists():
            print(f"{active.count()} other active channels would be polled: use a scratch database")
            sys.exit(2)
        roost = [roost_run(unique, run) for run in range(runs)]
        server_cpu = [r["server_cpu_us"] for r in roost if r["server_cpu_us"] is not None]
        reference = [reference_run(unique, run) for run in range(runs)]
        vendor = connection.vendor
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "database": vendor,
                "rate": statistics.median(r["rate"] for r in roost),
                "rates": [round(r["rate"]) for r in roost],
                "client_cpu_us": statistics.median(r["client_cpu_us"] for r in roost),
                "server_cpu_us": statistics.median(server_cpu) if server_cpu else None,
                "reference": statistics.median(reference),
                "unique": roost[0]["unique"],
                "redelivered": roost[0]["redelivered"],
                "peak_rss_mb": round(peak_mb, 1),
            }
        )
    )


def measure_in_process(database_url: str | None, unique: int, runs: int) -> dict[str, float]:
    env = {**os.environ}
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    command = [sys.executable, __file__, "--worker", "--messages", str(unique), "--runs", str(runs)]
    done = subprocess.run(command, env=env, stdout=subprocess.PIPE, text=True, check=False)
    if done.returncode != 0:
        print(
            done.stdout.strip() or f"the {(database_url and 'PostgreSQL') or 'SQLite'} run failed"
        )
        sys.exit(done.returncode)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a reduced size that runs in a minute")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--messages", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--runs", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.messages, args.runs)
        return
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print("inbox_ingest needs PostgreSQL: set DATABASE_URL=postgres://... (a scratch database)")
        sys.exit(3)
    unique, runs = (8000, 1) if args.quick else (40_000, 3)
    postgres = measure_in_process(url, unique, runs)
    sqlite = measure_in_process(None, unique, runs)
    ratio = postgres["rate"] / postgres["reference"]
    peak = max(postgres["peak_rss_mb"], sqlite["peak_rss_mb"])
    print(
        f"{unique} unique messages on {CHANNELS} channels, pages of {PAGE_SIZE}, "
        f"{postgres['redelivered']} redelivered; {runs} run(s), medians:"
    )
    for name, result in (("PostgreSQL", postgres), ("SQLite", sqlite)):
        server = result["server_cpu_us"]
        print(
            f"  {name:10}  Roost ingest {result['rate']:8.0f} msg/s "
            f"(runs: {', '.join(map(str, result['rates']))})   "
            f"plain bulk INSERT {result['reference']:8.0f} msg/s   "
            f"peak RSS {result['peak_rss_mb']:.0f} MB\n"
            f"              CPU per message: {result['client_cpu_us']:.0f} µs in this process"
            + (f", {server:.0f} µs in the database server" if server is not None else "")
        )
    server_cpu_us = postgres["server_cpu_us"] and round(postgres["server_cpu_us"], 1)
    summary = {
        "bench": "inbox_ingest",
        "size": {"messages": unique, "redelivered": postgres["redelivered"],
                 "channels": CHANNELS, "page": PAGE_SIZE, "runs": runs},
        "value": round(postgres["rate"], 1),
        "unit": "messages/s",
        "better": "higher",
        "reference": "Message.objects.bulk_create of the same rows, one transaction per page",
        "reference_value": round(postgres["reference"], 1),
        "ratio": round(ratio, 3),
        "target": TARGET_RATE,
        "ok": postgres["rate"] >= TARGET_RATE and peak <= TARGET_RSS_MB,
        "database": "postgresql",
        "sqlite_value": round(sqlite["rate"], 1),
        "sqlite_reference_value": round(sqlite["reference"], 1),
        "sqlite_ratio": round(sqlite["rate"] / sqlite["reference"], 3),
        "peak_rss_mb": peak,
        "target_peak_rss_mb": TARGET_RSS_MB,
        "runs_values": postgres["rates"],
        "client_cpu_us_per_message": round(postgres["client_cpu_us"], 1),
        "server_cpu_us_per_message": server_cpu_us,
        "sqlite_cpu_us_per_message": round(sqlite["client_cpu_us"], 1),
    }  # fmt: skip
    results_dir = ROOT / "bench" / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    (results_dir / "inbox_ingest.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
