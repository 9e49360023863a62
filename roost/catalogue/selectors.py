"""Reads of the platform catalogue. Each checks that the viewer may see it."""

from __future__ import annotations

from django.http import Http404

from roost.catalogue.specs import Catalogue, Change, Network, catalogue
from roost.core.models import User
from roost.core.permissions import Action, require


def catalogue_get(*, viewer: User) -> Catalogue:
    """The whole catalogue (version, update date, change log and networks)."""
    require(viewer, Action.CATALOGUE_VIEW)
    return catalogue()


def network_list(*, viewer: User) -> tuple[Network, ...]:
    require(viewer, Action.CATALOGUE_VIEW)
    return catalogue().networks


def network_get(*, viewer: User, key: str) -> Network:
    """One network by key; raises `Http404` when the catalogue has no such network."""
    require(viewer, Action.CATALOGUE_VIEW)
    try:
        return catalogue().network(key)
    except KeyError:
        raise Http404(f"No network {key!r} in the catalogue") from None


def change_list(*, viewer: User) -> tuple[Change, ...]:
    """The change log, newest first."""
    require(viewer, Action.CATALOGUE_VIEW)
    return catalogue().changes
