"""The catalogue pages and the selectors behind them."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import Http404
from django.urls import reverse

from roost.catalogue import selectors
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import Membership, Organization, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_org() -> Organization:
    # A demo organisation without required two-factor sign-in, so force_login is enough.
    return Organization.objects.create(
        name="Catalogue Co", slug="catalogue-co", require_two_factor=False, is_demo=True
    )


@pytest.fixture
def viewer(demo_org: Organization) -> User:
    user = User.objects.create_user(
        email="viewer@catalogue.example",
        password="a-long-test-password",
        organization=demo_org,
        name="Vera Viewer",
    )
    Membership.objects.create(organization=demo_org, user=user, role="viewer")
    return user


@pytest.fixture
def outsider(demo_org: Organization) -> User:
    """A person in the organisation with no role at all."""
    return User.objects.create_user(
        email="nobody@catalogue.example",
        password="a-long-test-password",
        organization=demo_org,
        name="No Role",
    )


@pytest.fixture
def viewer_client(client: Any, viewer: User) -> Any:
    client.force_login(viewer)
    return client


class TestSelectors:
    def test_network_list(self, viewer: User) -> None:
        keys = [network.key for network in selectors.network_list(viewer=viewer)]
        assert "bluesky" in keys
        assert len(keys) == len(set(keys))

    def test_network_get(self, viewer: User) -> None:
        assert selectors.network_get(viewer=viewer, key="bluesky").name == "Bluesky"

    def test_missing_network_is_404(self, viewer: User) -> None:
        with pytest.raises(Http404):
            selectors.network_get(viewer=viewer, key="myspace")

    def test_change_list_newest_first(self, viewer: User) -> None:
        changes = selectors.change_list(viewer=viewer)
        assert changes
        assert changes[0].version == selectors.catalogue_get(viewer=viewer).version

    def test_a_person_without_a_role_may_not_read(self, outsider: User) -> None:
        for read in (selectors.network_list, selectors.change_list, selectors.catalogue_get):
            with pytest.raises(ApplicationError) as caught:
                read(viewer=outsider)
            assert caught.value.code is ErrorCode.PERMISSION_DENIED


class TestPages:
    def test_index_lists_networks_and_limits(self, viewer_client: Any) -> None:
        response = viewer_client.get(reverse("catalogue:index"))
        assert response.status_code == 200
        body = response.content.decode()
        assert "Bluesky" in body
        assert "300" in body
        assert "<caption>" in body
        assert '<th scope="col">' in body
        assert response.context["area"] == "settings"

    def test_network_page_links_sources_with_checked_dates(self, viewer_client: Any) -> None:
        response = viewer_client.get(reverse("catalogue:network", args=["bluesky"]))
        assert response.status_code == 200
        body = response.content.decode()
        assert "Bluesky" in body
        assert "300" in body
        assert (
            'href="https://docs.bsky.app/docs/advanced-guides/rate-limits" rel="noopener"' in body
        )
        assert '<time datetime="2026-11-24">' in body

    def test_every_network_page_renders(self, viewer_client: Any, viewer: User) -> None:
        for network in selectors.network_list(viewer=viewer):
            response = viewer_client.get(reverse("catalogue:network", args=[network.key]))
            assert response.status_code == 200, network.key

    def test_unknown_network_is_404(self, viewer_client: Any) -> None:
        response = viewer_client.get(reverse("catalogue:network", args=["myspace"]))
        assert response.status_code == 404

    def test_change_log(self, viewer_client: Any) -> None:
        response = viewer_client.get(reverse("catalogue:changes"))
        assert response.status_code == 200
        assert "First release of the catalogue" in response.content.decode()

    @pytest.mark.parametrize(
        ("name", "args"),
        [("catalogue:index", []), ("catalogue:network", ["x"]), ("catalogue:changes", [])],
    )
    def test_anonymous_is_sent_to_sign_in(self, client: Any, name: str, args: list[str]) -> None:
        response = client.get(reverse(name, args=args))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("core:login"))
