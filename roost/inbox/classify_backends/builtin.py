"""The default backend: Roost's own classifier, offline, in this process."""

from __future__ import annotations

from collections.abc import Sequence

from roost.inbox.classify_backends.interface import ClassifierInput, Labelled, builtin_classify


class BuiltinBackend:
    name = "built_in"

    def classify_many(self, items: Sequence[ClassifierInput]) -> Labelled:
        return Labelled(results=[builtin_classify(item) for item in items])
