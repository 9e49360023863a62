"""The query package is a plain library: it loads without Django and without the rest of
Roost, so a worker or a script can match posts without the web application."""

from __future__ import annotations

import json
import subprocess
import sys


def test_the_query_package_imports_neither_django_nor_other_apps():
    program = (
        "import json, sys\n"
        "import roost.listening.query as q\n"
        "q.Matcher.compile({1: q.parse('refund')}).match(q.Document('a refund'))\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    loaded = json.loads(
        subprocess.run(
            [sys.executable, "-c", program], check=True, capture_output=True, text=True
        ).stdout
    )
    assert "hyperscan" in loaded
    assert not [name for name in loaded if name.split(".")[0] == "django"]
    assert not [
        name
        for name in loaded
        if name.startswith("roost.") and not name.startswith("roost.listening")
    ]


def test_the_public_names():
    from roost.listening.query import (
        Document,
        Matcher,
        QuerySyntaxError,
        evaluate,
        parse,
    )

    query = parse('"free shipping" AND (@northwind OR #northwind) NOT lang:de')
    post = Document(
        text="Free shipping? @Northwind",
        language="en",
        channel="northwind-x",
        sentiment="negative",
        intent="complaint",
    )
    assert evaluate(query, post)
    matcher = Matcher.compile({"m": query})
    assert matcher.match(post) == {"m"}
    assert matcher.match_many([post, Document("nothing")]) == [{"m"}, set()]
    assert query.terms() == ("free shipping", "@northwind", "#northwind")
    assert issubclass(QuerySyntaxError, ValueError)
