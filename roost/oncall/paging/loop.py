"""A worker process's escalation loop: tells the steps that fall due within a second.

The clock's periodic job (`oncall.escalate`) runs only as often as the clock ticks; a
page cannot wait for that. Every `roost worker` runs this loop beside its task runner:
it looks for due steps every `interval` seconds and, while it finds some, at once
again. Any number of workers share the work safely (`escalations_run` claims with
SKIP LOCKED), so a storm of pages is told by all of them side by side.

A turn that finds due pages but can take none (other transactions hold them) looks
again after `recheck`, not after the whole interval: the holder may be a worker that
has just died, whose rows come free the moment its connection is gone, and its pages
are then taken by the next worker to look.
"""

from __future__ import annotations

import logging
import threading

from django.db import close_old_connections, connections

from roost.oncall.paging.engine import escalations_due_count, escalations_run

logger = logging.getLogger(__name__)

INTERVAL = 1.0
RECHECK = 0.1


class EscalationLoop(threading.Thread):
    def __init__(self, *, interval: float = INTERVAL, recheck: float = RECHECK) -> None:
        super().__init__(name="roost-escalation", daemon=True)
        self.interval = interval
        self.recheck = min(recheck, interval)
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            moved = 0
            held = False
            failed: set[int] = set()
            try:
                close_old_connections()
                moved = escalations_run(failed=failed)
                # Nothing taken, yet something due that did not fail here: another
                # transaction holds it.
                held = not moved and escalations_due_count(leaving=failed) > 0
            except Exception:
                logger.exception("escalation turn failed; trying again")
            if not moved:
                self.stopped.wait(self.recheck if held else self.interval)
        connections.close_all()

    def stop(self) -> None:
        self.stopped.set()
