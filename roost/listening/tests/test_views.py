"""The monitor pages: a lead adds a monitor; a query's mistake is shown at its
position; the preview shows what the query matched in the last 7 days; others may read
but not change; another organisation's monitor is not found."""

from __future__ import annotations

import pytest
from django.urls import reverse

from roost.core.models import Role
from roost.listening.matching import inbox_scan
from roost.listening.models import Monitor
from roost.listening.tests.conftest import deliver


@pytest.mark.django_db
def test_a_lead_adds_a_monitor_and_sees_its_matches(signed_in, lead, brand, channel):
    client = signed_in(lead)
    answer = client.post(
        reverse("listening:monitors"),
        {"brand": brand.pk, "name": "Recall", "query": "recall", "sensitivity": "normal",
         "public_stream": "on"},
    )  # fmt: skip
    monitor = Monitor.objects.get()
    assert answer.status_code == 302 and answer["Location"] == reverse(
        "listening:monitor", args=[monitor.pk]
    )
    deliver(channel, ["The recall is a mess"])
    inbox_scan()
    page = client.get(reverse("listening:monitor", args=[monitor.pk])).content.decode()
    assert "The recall is a mess" in page
    assert "Recall" in client.get(reverse("listening:monitors")).content.decode()


@pytest.mark.django_db
def test_a_query_mistake_is_shown_at_its_position_and_nothing_is_saved(signed_in, lead, brand):
    query = 'recall AND "kettle'
    answer = signed_in(lead).post(
        reverse("listening:monitors"),
        {"brand": brand.pk, "name": "Bad", "query": query, "sensitivity": "normal"},
    )
    assert answer.status_code == 422
    page = answer.content.decode()
    assert 'data-testid="query-mistake"' in page
    # The query is shown split at the mistake, the mistake marked.
    position = query.index('"')
    assert f"at character {position + 1}" in page
    assert f'{query[:position]}<mark aria-label="the mistake is here">&quot;</mark>' in page
    assert not Monitor.objects.exists()


@pytest.mark.django_db
def test_the_preview_shows_the_last_7_days_matches(signed_in, lead, brand, channel):
    deliver(channel, ["Kettle recall announced", "kettle is lovely", "nothing here"])
    client = signed_in(lead)
    form = client.post(
        reverse("listening:monitors"),
        {"brand": brand.pk, "name": "K", "query": "kettle NOT lovely", "preview": "1"},
    )
    page = form.content.decode()
    assert "1 match of 3 posts and messages" in page
    assert "Kettle recall announced" in page and "kettle is lovely" not in page
    assert not Monitor.objects.exists()  # a preview saves nothing
    fragment = client.get(reverse("listening:preview"), {"query": "kettle"}).content.decode()
    assert "2 matches of 3" in fragment
    broken = client.get(reverse("listening:preview"), {"query": "kettle AND"}).content.decode()
    assert "at character" in broken


@pytest.mark.django_db
def test_others_read_but_may_not_change_and_other_organisations_are_not_found(
    signed_in, org, other_org, brand, other_brand, make_user, make_monitor
):
    mine = make_monitor(brand, "recall")
    theirs = make_monitor(other_brand, "rival", actor=make_user(other_org, Role.ADMIN))
    viewer = signed_in(make_user(org, Role.VIEWER))
    assert viewer.get(reverse("listening:monitor", args=[mine.pk])).status_code == 200
    assert viewer.get(reverse("listening:monitor", args=[theirs.pk])).status_code == 404
    refused = viewer.post(
        reverse("listening:monitors"), {"brand": brand.pk, "name": "x", "query": "a"}
    )
    assert refused.status_code == 403
    assert viewer.post(reverse("listening:monitor_delete", args=[mine.pk])).status_code == 403
    assert Monitor.objects.count() == 2


@pytest.mark.django_db
def test_feeds_page_adds_and_removes_a_feed(signed_in, lead):
    client = signed_in(lead)
    answer = client.post(reverse("listening:feeds"), {"url": "https://news.example/rss"})
    assert answer.status_code == 302
    again = client.post(reverse("listening:feeds"), {"url": "https://news.example/rss"})
    assert again.status_code == 409
    page = client.get(reverse("listening:feeds")).content.decode()
    assert "https://news.example/rss" in page


@pytest.mark.django_db
def test_the_area_home_links_to_the_monitors(signed_in, lead):
    page = signed_in(lead).get(reverse("crisis:home")).content.decode()
    assert f'href="{reverse("listening:monitors")}"' in page
    assert f'href="{reverse("listening:feeds")}"' in page
