"""The audience simulator: comments, replies, mentions and direct messages on the
demo's sandbox channels, with a daily and a weekly rhythm and a mix of languages.
A few messages come from well-known, verified accounts (`roost.sandbox.profiles`).

Each (account, slot) is simulated once: a tick row under a unique constraint is
written in the same transaction as the messages, and the random choices are
seeded by account and slot, so running a slot again changes nothing.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import zoneinfo
from dataclasses import dataclass
from typing import TypeVar

from django.db import IntegrityError, transaction

from roost.channels.connectors.base import Capability, InboundKind
from roost.channels.models import Channel, ChannelStatus
from roost.sandbox.models import AudienceTick, SandboxAccount, SandboxPost
from roost.sandbox.plays import played_capabilities
from roost.sandbox.profiles import VIP_AUTHORS
from roost.sandbox.routing import SANDBOX_DB
from roost.sandbox.selectors import sandbox_account_for_channel
from roost.sandbox.services import sandbox_inbound_add

T = TypeVar("T")
SLOT = dt.timedelta(minutes=5)
# Relative volume by local hour of day (0-23) and by weekday (Monday first).
DAILY = (
    0.25, 0.15, 0.1, 0.08, 0.08, 0.12, 0.3, 0.6, 0.9, 1.0, 1.0, 1.1,
    1.2, 1.1, 1.0, 1.0, 1.1, 1.2, 1.4, 1.5, 1.4, 1.1, 0.7, 0.4,
)  # fmt: skip
WEEKLY = (1.1, 1.05, 1.0, 1.0, 0.95, 0.8, 0.75)
MESSAGES_PER_HOUR_AT_PEAK = 6.0

PRODUCTS = ("the Aurora jacket", "the Fjord backpack", "your winter boots", "the new app")
TEMPLATES: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "question": (
            "Do you ship {product} to Norway?",
            "When will {product} be back in stock?",
            "How do I return {product}? Bought it last week.",
            "Is there a student discount on {product}?",
        ),
        "complaint": (
            "My order with {product} is two weeks late and nobody answers my emails.",
            "{product} broke after three days. Really disappointed.",
            "Charged twice for {product}. Please fix this.",
        ),
        "praise": (
            "Love {product}! Best purchase this year.",
            "Your support team sorted my problem in minutes. Thank you!",
            "Wore {product} on a 20 km hike, absolutely brilliant.",
        ),
        "spam": (
            "Earn $500 a day from home!!! DM me",
            "Follow me for free giveaways 🎁🎁🎁",
        ),
    },
    "pl": {
        "question": (
            "Czy wysyłacie {product} do Polski?",
            "Kiedy {product} będzie znowu dostępny?",
            "Jak mogę zwrócić {product}?",
        ),
        "complaint": (
            "Zamówienie z {product} spóźnia się już dwa tygodnie, nikt nie odpowiada.",
            "{product} zepsuł się po trzech dniach. Bardzo słabo.",
        ),
        "praise": (
            "Uwielbiam {product}! Najlepszy zakup w tym roku.",
            "Dziękuję za szybką pomoc, świetna obsługa!",
        ),
        "spam": ("Zarabiaj 2000 zł dziennie z domu!!! Pisz na priv",),
    },
    "de": {
        "question": ("Gibt es {product} auch in Größe XL?",),
        "complaint": ("Meine Bestellung ist seit zehn Tagen unterwegs. Wo bleibt sie?",),
        "praise": ("Super Qualität, danke!",),
        "spam": ("Gratis iPhone gewinnen!!! Link im Profil",),
    },
}
CATEGORY_WEIGHTS = (("question", 0.35), ("praise", 0.3), ("complaint", 0.25), ("spam", 0.1))
KIND_WEIGHTS = (
    (InboundKind.COMMENT, 0.5),
    (InboundKind.MENTION, 0.3),
    (InboundKind.DIRECT_MESSAGE, 0.2),
)
FIRST_NAMES = ("ola", "kasia", "piotr", "emma", "liam", "noah", "mia", "jonas", "lena", "sam")
# How often a message comes from one of the well-known, verified accounts.
VIP_SHARE = 0.03


def _languages_for(region: str) -> tuple[tuple[str, float], ...]:
    if region.upper() == "EMEA":
        return (("en", 0.5), ("pl", 0.35), ("de", 0.15))
    return (("en", 0.8), ("pl", 0.2))


def _pick(rng: random.Random, weighted: tuple[tuple[T, float], ...]) -> T:
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights=weights)[0]


def _poisson(rng: random.Random, mean: float) -> int:
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def expected_messages(local: dt.datetime, *, minutes: float = 5) -> float:
    """Mean number of messages in a slot starting at this local time."""
    per_hour = MESSAGES_PER_HOUR_AT_PEAK / max(DAILY) * DAILY[local.hour] * WEEKLY[local.weekday()]
    return per_hour * minutes / 60


@dataclass(frozen=True)
class Message:
    kind: InboundKind
    author: str
    text: str
    language: str
    category: str


def compose(rng: random.Random, *, region: str, category: str | None = None) -> Message:
    language = _pick(rng, _languages_for(region))
    category = category or _pick(rng, CATEGORY_WEIGHTS)
    text = rng.choice(TEMPLATES[language][category]).format(product=rng.choice(PRODUCTS))
    kind = _pick(rng, KIND_WEIGHTS)
    author = f"{rng.choice(FIRST_NAMES)}{rng.randint(1, 9999)}"
    if rng.random() < VIP_SHARE:
        author = rng.choice(sorted(VIP_AUTHORS))  # a verified account with a large following
    return Message(kind=kind, author=author, text=text, language=language, category=category)


# What a network must let its connector read for people's messages of a kind to reach
# Roost: the sandbox sends a network only what its real connector could read.
READ_BY = {
    InboundKind.COMMENT: Capability.FETCH_COMMENTS,
    InboundKind.MENTION: Capability.FETCH_MENTIONS,
    InboundKind.DIRECT_MESSAGE: Capability.FETCH_MESSAGES,
}


def readable_kinds(network: str) -> set[InboundKind]:
    """The kinds of message a connector to `network` reads (all, on a network Roost has
    no connector for)."""
    capabilities = played_capabilities(network)
    return {kind for kind, capability in READ_BY.items() if capability in capabilities}


def _deliverable(
    kind: InboundKind, readable: set[InboundKind], *, has_post: bool
) -> InboundKind | None:
    """The kind a message goes out as on a network that reads `readable`: as meant, else
    as a comment under a post or a mention, else not at all."""
    for candidate in (kind, InboundKind.COMMENT, InboundKind.MENTION):
        if candidate in readable and (candidate != InboundKind.COMMENT or has_post):
            return candidate
    return None


def _demo_accounts() -> list[tuple[SandboxAccount, Channel]]:
    channels = Channel.objects.filter(
        connector="sandbox", status=ChannelStatus.ACTIVE, organization__is_demo=True
    ).select_related("brand")
    pairs = []
    for channel in channels:
        account = sandbox_account_for_channel(channel=channel)
        if account is not None:
            pairs.append((account, channel))
    return pairs


def audience_simulate_slot(*, slot: dt.datetime) -> int:
    """Deliver one slot's messages to every demo sandbox account; return how many."""
    delivered = 0
    seen: set[int] = set()
    for account, channel in _demo_accounts():
        if account.pk in seen:  # one account can back several placements
            continue
        seen.add(account.pk)
        zone = zoneinfo.ZoneInfo(channel.brand.time_zone if channel.brand else "UTC")
        rng = random.Random(f"{account.pk}:{slot.isoformat()}")  # noqa: S311 - a simulation
        count = _poisson(rng, expected_messages(slot.astimezone(zone)))
        posts = list(
            SandboxPost.objects.filter(account=account, deleted_at__isnull=True)
            .order_by("-created_at")
            .values_list("external_id", flat=True)[:10]
        )
        region = channel.brand.region if channel.brand else ""
        readable = readable_kinds(channel.network)
        try:
            with transaction.atomic(using=SANDBOX_DB):
                tick = AudienceTick.objects.create(account=account, slot=slot, messages=0)
                sent = 0
                for _ in range(count):
                    message = compose(rng, region=region)
                    kind = _deliverable(message.kind, readable, has_post=bool(posts))
                    if kind is None:
                        continue
                    parent = rng.choice(posts) if kind == InboundKind.COMMENT else ""
                    sent += 1
                    sandbox_inbound_add(
                        account=account,
                        kind=kind,
                        author_handle=message.author,
                        text=message.text
                        if kind != InboundKind.MENTION
                        else f"@{account.handle} {message.text}",
                        language=message.language,
                        parent_external_id=parent,
                    )
                tick.messages = sent
                tick.save(update_fields=["messages"])
        except IntegrityError:
            continue  # this slot was simulated already
        delivered += sent
    return delivered


# What people write to a brand in a crisis: what happened to them, that nobody answers,
# what they want. The topic is written in each message's own language, as people do (a
# Polish complaint does not name "the data leak" in English).
CRISIS_TEXTS = {
    "en": (
        "@{handle} my card details were in {topic} and nobody has told me anything. "
        "This is unacceptable, I want answers today.",
        "@{handle} three days since {topic} and still no email from you. "
        "Terrible way to treat your customers.",
        "@{handle} I found out about {topic} from the news, not from you. Shameful. "
        "Delete my account now.",
        "@{handle} your support line hangs up on me every time I ask about {topic}. Awful service.",
        "@{handle} after {topic} someone tried to use my card. I want a refund and an explanation!",
        "@{handle} I'm done with this brand after {topic}. Worst experience I've ever had "
        "with a company.",
        "@{handle} {topic}?! This is unacceptable. #boycott",
        "@{handle} still no answer about {topic}. Shame on you.",
    ),
    "pl": (
        "@{handle} {topic} i cisza z waszej strony. Moje dane wyciekły, a nikt się do mnie "
        "nie odezwał. Skandal!",
        "@{handle} w sprawie: {topic} dalej zero odpowiedzi. Fatalna obsługa, żądam wyjaśnień.",
        "@{handle} {topic}, a ja dowiaduję się o tym z wiadomości, nie od was. Wstyd. "
        "Usuńcie moje konto.",
        "@{handle} infolinia rozłącza się za każdym razem, gdy pytam o to: {topic}. "
        "Tragedia, nigdy więcej.",
        "@{handle} {topic}?! Ktoś próbował użyć mojej karty. Chcę zwrotu pieniędzy i wyjaśnień!",
        "@{handle} {topic}?! To skandal. #bojkot",
        "@{handle} dalej zero odpowiedzi w sprawie: {topic}. Wstyd.",
    ),
}
# The Polish for the topics the demo and its guide use; any other topic is used as given.
TOPIC_IN_POLISH = {"the data leak": "wyciek danych", "the recall": "wycofanie produktu"}


def sandbox_crisis_start(
    *,
    brand_name: str,
    topic: str,
    count: int = 150,
    organization_slug: str = "",
    topic_pl: str = "",
    seed: int | None = None,
) -> int:
    """A surge of angry mentions about one topic on every sandbox channel of a brand, 70%
    in English and 30% in Polish (naming the topic as `topic_pl`; by default its known
    Polish name, or the topic as given). The same `seed` gives the same mentions.

    Brand names are unique only within an organisation: when the name is used in more
    than one, the demo organisation's brand is meant if there is exactly one such, and
    otherwise `organization_slug` must say whose brand it is (a `LookupError` if not).
    """
    channels = Channel.objects.filter(
        connector="sandbox", status=ChannelStatus.ACTIVE, brand__name=brand_name
    ).select_related("brand", "organization")
    if organization_slug:
        channels = channels.filter(organization__slug=organization_slug)
    found = list(channels)
    if len({c.organization_id for c in found}) > 1:
        found = [c for c in found if c.organization.is_demo]
        if len({c.organization_id for c in found}) != 1:
            raise LookupError(
                f"brands named {brand_name!r} exist in several organisations; name the organisation"
            )
    # Mentions, on the networks whose connectors read them.
    pairs = [
        (account, channel)
        for channel in found
        if InboundKind.MENTION in readable_kinds(channel.network)
        and (account := sandbox_account_for_channel(channel=channel)) is not None
    ]
    if not pairs:
        raise LookupError(f"no active sandbox channel belongs to a brand named {brand_name!r}")
    rng = random.Random(seed)  # noqa: S311 - a simulation
    for n in range(count):
        account, _ = pairs[n % len(pairs)]
        language = _pick(rng, (("en", 0.7), ("pl", 0.3)))
        named = (topic_pl or TOPIC_IN_POLISH.get(topic, topic)) if language == "pl" else topic
        text = rng.choice(CRISIS_TEXTS[language]).format(handle=account.handle, topic=named)
        sandbox_inbound_add(
            account=account,
            kind=InboundKind.MENTION,
            author_handle=f"{rng.choice(FIRST_NAMES)}{rng.randint(1, 99999)}",
            text=text,
            language=language,
        )
    return count
