"""What else must happen when a library item that something uses is edited.

Apps above the library in the dependency direction (publishing attaches items to
posts) must act when an item they use changes: an edit of an item on a post is an
edit of that post. The library cannot import them, so each declares here, once at
start-up, the one function to call; `media_update` calls every one of them inside
its own transaction, holding the item's row lock, so the edit and what it entails
commit or roll back together. A declared function may refuse the edit by raising
`ApplicationError`, which rolls back the whole change.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from roost.core.models import User
from roost.media.models import MediaAsset


class AssetEdited(Protocol):
    def __call__(
        self, *, actor: User, asset: MediaAsset, before: dict[str, Any], after: dict[str, Any]
    ) -> None: ...


_declared: dict[str, AssetEdited] = {}


def asset_edited_declare(*, name: str, handler: AssetEdited) -> None:
    """Declare the function `name` (an app label) calls when an item is edited.

    Declaring the same name again replaces the function, so reloading an app is harmless.
    """
    _declared[name] = handler


def asset_edited_handlers() -> Sequence[Callable[..., None]]:
    return [_declared[name] for name in sorted(_declared)]
