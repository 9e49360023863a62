"""Each schema of the OpenAPI document is one class: two input or output classes with
the same name would be documented as one, and an operation would show another's body."""

from __future__ import annotations

from collections import defaultdict

from ninja import Schema

from roost.api.api import api


def _roost_schemas() -> dict[str, set[str]]:
    found: dict[str, set[str]] = defaultdict(set)
    pending = list(Schema.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.__module__.startswith("roost."):
            found[cls.__name__].add(f"{cls.__module__}.{cls.__qualname__}")
    return found


def test_every_documented_schema_name_belongs_to_one_class() -> None:
    documented = set(api.get_openapi_schema()["components"]["schemas"])
    shared = {
        name: sorted(classes)
        for name, classes in _roost_schemas().items()
        if name in documented and len(classes) > 1
    }
    assert not shared, f"one name, several classes: {shared}"


def test_a_post_is_scheduled_with_its_own_body() -> None:
    schema = api.get_openapi_schema()
    body = schema["paths"]["/api/v1/posts/{post_id}/schedule"]["post"]["requestBody"]
    name = body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert "scheduled_at" in schema["components"]["schemas"][name]["properties"]
