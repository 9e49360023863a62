"""Publishing: compose, approve, schedule and send posts, exactly once.

`pause(...)` and `resume(...)` are importable from here for crisis mode:
`from roost import publishing; publishing.pause(scope="organization", reason=..., actor=...)`.
"""

from __future__ import annotations

from typing import Any

# Imported when called: this package is imported while Django loads its apps, before
# the models `pausing` needs can be.


def pause(**kwargs: Any) -> Any:
    from roost.publishing.pausing import pause as _pause

    return _pause(**kwargs)


def resume(**kwargs: Any) -> Any:
    from roost.publishing.pausing import resume as _resume

    return _resume(**kwargs)
