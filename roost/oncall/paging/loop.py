"""A worker process's escalation loop: tells the steps that fall due within a second.

The clock's periodic job (`oncall.escalate`) runs only as often as the clock ticks; a
page cannot wait for that. Every `roost worker` runs this loop beside its task runner:
it looks for due steps every `interval` seconds and, while it finds some, at once
again. Any number of workers share the work safely (`escalations_run` claims with
SKIP LOCKED), so a storm of pages is told by all of them side by side.
"""

from __future__ import annotations

import logging
import threading

from django.db import close_old_connections, connections

from roost.oncall.paging.engine import escalations_run

logger = logging.getLogger(__name__)

INTERVAL = 1.0


class EscalationLoop(threading.Thread):
    def __init__(self, *, interval: float = INTERVAL) -> None:
        super().__init__(name="roost-escalation", daemon=True)
        self.interval = interval
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            moved = 0
            try:
                close_old_connections()
                moved = escalations_run()
            except Exception:
                logger.exception("escalation turn failed; trying again")
            if not moved:
                self.stopped.wait(self.interval)
        connections.close_all()

    def stop(self) -> None:
        self.stopped.set()
