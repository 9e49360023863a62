"""Set up and read back a database for tests that run `roost worker` processes on it.

Usage: python -m roost.publishing.tests.drain_fixture POSTS CHANNELS LATENCY_MS
Migrates both databases and schedules POSTS posts, due now, on CHANNELS sandbox
channels whose network answers after LATENCY_MS.
Databases come from DATABASE_URL and ROOST_SANDBOX_DATABASE_URL.
"""

from __future__ import annotations

import datetime as dt
import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "roost.publishing.tests.worker_settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402

from roost.channels.services import channel_create  # noqa: E402
from roost.core.actors import SYSTEM  # noqa: E402
from roost.core.models import ChannelGroup, Role  # noqa: E402
from roost.core.services import membership_grant, organization_create, user_create  # noqa: E402
from roost.publishing.models import Post, PostState, Variant, VariantState  # noqa: E402
from roost.publishing.services import new_idempotency_key  # noqa: E402
from roost.sandbox.channels import sandbox_channel_connect  # noqa: E402
from roost.sandbox.models import SandboxAccount  # noqa: E402
from roost.sandbox.services import sandbox_knobs_set  # noqa: E402


def seed(posts: int, channels: int, latency_ms: int) -> None:
    call_command("migrate", interactive=False, verbosity=0)
    call_command("migrate", database="sandbox", interactive=False, verbosity=0)
    org = organization_create(name="Acme", slug="acme", is_demo=True)
    group = ChannelGroup.objects.create(organization=org, name="Consumer")
    publisher = user_create(
        organization=org, actor=SYSTEM, email="publisher@acme.example", name="Pat Publisher"
    )
    membership_grant(actor=SYSTEM, user=publisher, role=Role.PUBLISHER, channel_group=group)
    opened = []
    for n in range(channels):
        channel = channel_create(
            actor=SYSTEM, organization=org, network="bluesky", placement="post",
            handle=f"acme{n}", channel_group=group, primary_owner=publisher,
        )  # fmt: skip
        opened.append(sandbox_channel_connect(actor=SYSTEM, channel=channel))
    for account in SandboxAccount.objects.all():
        sandbox_knobs_set(account=account, latency_ms=latency_ms)
    due = timezone.now() - dt.timedelta(seconds=1)
    made = Post.objects.bulk_create(
        Post(organization=org, author=publisher, master_text=f"Post number {n}",
             scheduled_at=due, state=PostState.SCHEDULED)
        for n in range(posts)
    )  # fmt: skip
    Variant.objects.bulk_create(
        Variant(organization=org, post=post, channel=opened[n % channels],
                text=post.master_text, scheduled_at=due, state=VariantState.SCHEDULED,
                idempotency_key=new_idempotency_key())
        for n, post in enumerate(made)
    )  # fmt: skip


if __name__ == "__main__":
    seed(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))
