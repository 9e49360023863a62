"""Batches walk every row once, in key order, whatever the batch size."""

from __future__ import annotations

import pytest

from roost.core.batches import in_batches
from roost.core.models import ChannelGroup


@pytest.mark.django_db
@pytest.mark.parametrize("size", [1, 3, 4, 7, 50])
def test_every_row_once_in_key_order(org, size):
    made = [ChannelGroup.objects.create(organization=org, name=f"Group {n}") for n in range(7)]
    rows = ChannelGroup.objects.filter(organization=org).order_by("-name")
    assert [g.pk for g in in_batches(rows, size=size)] == sorted(g.pk for g in made)


@pytest.mark.django_db
def test_rows_that_leave_the_filter_as_the_loop_writes_are_not_skipped_or_repeated(org):
    for n in range(10):
        ChannelGroup.objects.create(organization=org, name=f"todo {n}")
    seen = []
    for group in in_batches(ChannelGroup.objects.filter(name__startswith="todo"), size=3):
        seen.append(group.pk)
        ChannelGroup.objects.filter(pk=group.pk).update(name=f"done {group.pk}")
    assert len(seen) == len(set(seen)) == 10
    assert not ChannelGroup.objects.filter(name__startswith="todo").exists()
