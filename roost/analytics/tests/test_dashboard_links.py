"""Each dashboard links to its own exports with the page's query, and to the area's
other pages."""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_the_dashboards_export_links_carry_its_period_and_filters_and_open(
    admin, signed_in, channel, write_history
):
    write_history(channel, days=14)
    client = signed_in(admin)
    query = f"start=2026-03-15&end=2026-03-28&network={channel.network}"
    page = client.get(f"{reverse('analytics:network')}?{query}")
    assert page.status_code == 200
    body = html.unescape(page.content.decode())
    links = re.findall(r'href="([^"]*/export/[^"]*)"', body)
    assert f"{reverse('analytics:export_csv', args=['network'])}?{query}" in links
    assert f"{reverse('analytics:export_pdf', args=['network'])}?{query}" in links
    csv_answer = client.get(links[0])
    assert csv_answer.status_code == 200
    assert "2026-03-15" in csv_answer.content.decode()
    for name in ("analytics:competitors", "analytics:reports", "analytics:definitions"):
        assert f'href="{reverse(name)}"' in body
