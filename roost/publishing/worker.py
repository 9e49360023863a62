"""A worker process's publishing threads: the lease kept alive, the dispatchers that
claim and send in a loop, and the sender threads their network calls share.

What one turn does (claim, ask the gate, call, reconcile) is `roost.publishing.dispatch`;
this module only runs it, over and over, on threads. `roost worker` starts `Publishing`.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from concurrent.futures import Executor, ThreadPoolExecutor

from django.db import close_old_connections, connections

from roost.catalogue.specs import catalogue
from roost.channels.connectors.registry import available
from roost.publishing.dispatch import (
    BATCH,
    ConnectorCache,
    Gate,
    Opened,
    dispatch_once,
    lease_for,
    variants_recover_orphans,
    variants_release,
    worker_lease_open,
    worker_lease_renew,
    worker_name,
)

logger = logging.getLogger(__name__)


class LeaseKeeper(threading.Thread):
    """Renews the worker's lease every `lease_for() / 5` while the worker lives."""

    def __init__(self) -> None:
        super().__init__(name="roost-lease", daemon=True)
        self.lease_id = worker_lease_open(name=f"{os.uname().nodename}-{os.getpid()}")
        self.stopped = threading.Event()

    def run(self) -> None:
        every = lease_for().total_seconds() / 5
        while not self.stopped.wait(every):
            close_old_connections()
            try:
                worker_lease_renew(lease_id=self.lease_id)
            except Exception:
                logger.exception("renewing the worker's lease failed; trying again")
        connections.close_all()

    def stop(self) -> None:
        self.stopped.set()


# How often a dispatcher looks for dead workers' claims, in seconds.
RECOVER_EVERY = 1.0


class Dispatcher(threading.Thread):
    """A publishing loop: polls every `interval` seconds, claims up to `batch` due
    variants and sends them, the network calls side by side on `pool`."""

    def __init__(
        self,
        *,
        interval: float = 1.0,
        batch: int = BATCH,
        pool: Executor | None = None,
        connectors: ConnectorCache | None = None,
        lease: int | None = None,
        gate: Gate | None = None,
    ) -> None:
        super().__init__(name="roost-dispatcher", daemon=True)
        self.batch = batch
        self.interval = interval
        self.pool = pool
        self.connectors = connectors or ConnectorCache()
        self.lease = lease
        self.gate = gate
        self.stopped = threading.Event()

    def run(self) -> None:
        worker = worker_name()
        last_recovery = 0.0
        failed = False
        while not self.stopped.is_set():
            close_old_connections()
            try:
                if failed:  # a turn failed midway: its claims would stay with a live worker
                    variants_release(worker=worker)
                    failed = False
                if time.monotonic() - last_recovery > RECOVER_EVERY:
                    variants_recover_orphans()
                    last_recovery = time.monotonic()
                results = dispatch_once(
                    worker=worker,
                    connectors=self.connectors,
                    limit=self.batch,
                    pool=self.pool,
                    lease=self.lease,
                    gate=self.gate,
                )
            except Exception:
                logger.exception("dispatcher turn failed; trying again")
                failed, results = True, []
            if not results:
                self.stopped.wait(self.interval)
        connections.close_all()  # this thread's connections

    def stop(self) -> None:
        self.stopped.set()


class Publishing:
    """A worker's publishing: a lease kept alive, a few dispatchers claiming batches, and
    `senders` threads for the network calls they share (so `senders` calls can be in
    flight at once), asking one shared gate before each call."""

    DISPATCHERS = 2

    def __init__(self, *, senders: int, interval: float = 1.0) -> None:
        self.pool = ThreadPoolExecutor(max_workers=max(1, senders), thread_name_prefix="roost-send")
        self.senders = senders
        self.interval = interval
        self.lease: LeaseKeeper | None = None
        self.gate = Gate(shared=True)
        self.dispatchers: list[Dispatcher] = []

    def start(self) -> None:
        # Load every installed connector now (some import large SDKs), not at the
        # moment a campaign goes out.
        available()
        catalogue()
        self.lease = LeaseKeeper()
        self.lease.start()
        connectors = _SharedConnectorCache()
        batch = max(BATCH, 2 * self.senders)
        self.dispatchers = [
            Dispatcher(
                interval=self.interval,
                batch=batch,
                pool=self.pool,
                connectors=connectors,
                lease=self.lease.lease_id,
                gate=self.gate,
            )
            for _ in range(self.DISPATCHERS)
        ]
        for dispatcher in self.dispatchers:
            dispatcher.start()

    def stop(self, timeout: float = 30.0) -> None:
        for dispatcher in self.dispatchers:
            dispatcher.stop()
        for dispatcher in self.dispatchers:
            dispatcher.join(timeout=timeout)
        self.pool.shutdown(wait=True)
        if self.lease is not None:
            self.lease.stop()
            self.lease.join(timeout=timeout)
        self.gate.close()


class _SharedConnectorCache(ConnectorCache):
    """A connector cache the dispatchers of one worker share, under a lock."""

    def __init__(self, *, ttl: float = 300.0) -> None:
        super().__init__(ttl=ttl)
        self._lock = threading.Lock()

    def get_many(self, channel_ids: set[int]) -> dict[int, Opened]:
        with self._lock:
            return super().get_many(channel_ids)

    def drop(self, channel_id: int) -> None:
        with self._lock:
            super().drop(channel_id)
