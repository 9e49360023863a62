"""Where the browser tests find axe-core, the accessibility checker.

`ROOST_AXE_CORE` (its directory or `axe.min.js`) when set; else where `make axe`
installs it for the browser suite (`var/axe/` in the checkout); else an
`npm install axe-core@4` run in /tmp.
"""

from __future__ import annotations

import os
from pathlib import Path

import roost

CHECKOUT = Path(roost.__file__).resolve().parent.parent / "var/axe/node_modules/axe-core"
IN_TMP = Path("/tmp/node_modules/axe-core")  # noqa: S108 - where `npm install` in /tmp puts it


def axe_file() -> Path:
    """`axe.min.js` where it is installed (the checkout's path when it is nowhere)."""
    named = os.environ.get("ROOST_AXE_CORE")
    candidates = [Path(named)] if named else []
    for place in [*candidates, CHECKOUT, IN_TMP]:
        found = place if place.suffix == ".js" else place / "axe.min.js"
        if found.is_file():
            return found
    return CHECKOUT / "axe.min.js"
