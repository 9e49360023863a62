"""News feeds on a real HTTP server on loopback: entries matched by the organisation's
own monitors only, stored once, and polled again with the feed's ETag."""

from __future__ import annotations

import pytest
from werkzeug import Request, Response

from roost.core.models import Role
from roost.listening import services
from roost.listening.feeds import feed_poll, feeds_poll_due
from roost.listening.models import Feed, Match, MatchSource

RSS = """<?xml version="1.0"?>
<rss version="2.0"><channel><title>Kitchen News</title><language>en</language>
<item><guid>news-1</guid><title>Acme recalls its kettle</title>
<link>https://news.example/1</link><description>&lt;p&gt;A fault in the lid.&lt;/p&gt;</description>
<pubDate>Mon, 07 Dec 2026 08:00:00 GMT</pubDate></item>
<item><guid>news-2</guid><title>Toasters are back</title><link>https://news.example/2</link></item>
</channel></rss>"""


@pytest.mark.django_db
def test_a_feed_is_matched_once_by_its_own_organisations_monitors(
    httpserver, org, other_org, lead, brand, other_brand, make_monitor, make_user
):
    seen: list[str] = []

    def answer(request: Request) -> Response:
        seen.append(request.headers.get("If-None-Match", ""))
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(status=304)
        return Response(RSS, headers={"ETag": '"v1"'}, content_type="application/rss+xml")

    httpserver.expect_request("/rss").respond_with_handler(answer)
    ours = make_monitor(brand, "kettle OR lid")
    theirs = make_monitor(other_brand, "kettle", actor=make_user(other_org, Role.ADMIN))
    feed = services.feed_add(actor=lead, organization=org, url=httpserver.url_for("/rss"))

    assert feed_poll(feed=feed) == 1
    feed.refresh_from_db()
    assert feed.etag == '"v1"' and feed.last_error == ""
    assert feed_poll(feed=feed) == 0  # answered 304: nothing read
    assert seen == ["", '"v1"']

    [match] = Match.objects.filter(monitor=ours)
    assert (match.source, match.url, match.author, match.language) == (
        MatchSource.FEED,
        "https://news.example/1",
        "Kitchen News",
        "en",
    )
    assert match.text == "Acme recalls its kettle A fault in the lid."
    assert not Match.objects.filter(monitor=theirs).exists()

    Feed.objects.filter(pk=feed.pk).update(etag="", polled_at=None)
    assert feeds_poll_due() == 0  # read in full again: stored once all the same
    assert Match.objects.filter(monitor=ours).count() == 1


@pytest.mark.django_db
def test_a_feed_that_fails_keeps_its_error_and_stores_nothing(
    httpserver, org, lead, brand, make_monitor
):
    httpserver.expect_request("/gone").respond_with_data("no", status=410)
    make_monitor(brand, "kettle")
    feed = services.feed_add(actor=lead, organization=org, url=httpserver.url_for("/gone"))
    assert feed_poll(feed=feed) == 0
    feed.refresh_from_db()
    assert "410" in feed.last_error
    assert not Match.objects.exists()


@pytest.mark.django_db
def test_a_feed_on_a_private_address_is_never_called(org, lead, brand, make_monitor):
    from roost.core.errors import ApplicationError, ErrorCode

    with pytest.raises(ApplicationError) as refused:
        services.feed_add(actor=lead, organization=org, url="http://10.1.2.3/rss")
    assert refused.value.code == ErrorCode.INVALID and refused.value.field == "url"
    make_monitor(brand, "kettle")
    # https passes the form's check; the address is refused when connecting.
    feed = services.feed_add(actor=lead, organization=org, url="https://169.254.169.254/rss")
    assert feed_poll(feed=feed) == 0
    feed.refresh_from_db()
    assert "could not reach" in feed.last_error
    assert not Match.objects.exists()
