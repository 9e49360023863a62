"""Messages fetched from the sandbox network carried addresses on its unreachable host;
point them at the network's pages inside Roost, which keep the same path shape."""

from __future__ import annotations

from typing import Any

from django.db import migrations
from django.db.models import Value
from django.db.models.functions import Concat, Replace

NETWORK_HOST = "https://sandbox.roost.invalid/"
PAGES = "/sandbox/network/"


def forwards(apps: Any, schema_editor: Any) -> None:
    Message = apps.get_model("inbox", "Message")
    Message.objects.filter(url__startswith=NETWORK_HOST).update(
        url=Concat(Replace("url", Value(NETWORK_HOST), Value(PAGES)), Value("/"))
    )


class Migration(migrations.Migration):
    dependencies = [("inbox", "0008_identity_required")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
