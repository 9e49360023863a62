"""Sandbox accounts belong to one organisation.

Until now an account was keyed by network and handle alone, so two organisations
with a channel of the same handle shared one account. Each existing account goes to
the organisation whose sandbox channel with that handle was connected first; the
channels of any other organisation stop reaching it (their calls are refused as a
revoked credential) until they are connected again, which opens an account of their
own. An account no channel points at belongs to nobody and is removed with its posts
and messages.
"""

from django.db import migrations, models


def assign_organizations(apps, schema_editor):
    account_model = apps.get_model("sandbox", "SandboxAccount")
    db = schema_editor.connection.alias
    accounts = list(account_model.objects.using(db).all())
    if not accounts:
        return  # a new installation: Roost's own tables may not even exist yet
    channel_model = apps.get_model("channels", "Channel")
    first_owner: dict[tuple[str, str], int] = {}
    channels = (
        channel_model.objects.using("default")
        .filter(connector="sandbox")
        .order_by("created_at", "pk")
        .values_list("network", "handle", "organization_id")
    )
    for network, handle, organization_id in channels:
        first_owner.setdefault((network, handle), organization_id)
    for account in accounts:
        owner = first_owner.get((account.network, account.handle))
        if owner is None:
            account.delete()
        else:
            account.organization_id = owner
            account.save(update_fields=["organization_id"])


class Migration(migrations.Migration):
    dependencies = [
        ("sandbox", "0002_audiencetick"),
        ("channels", "0002_channel_settings"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="sandboxaccount",
            options={"ordering": ["organization_id", "network", "handle"]},
        ),
        migrations.RemoveConstraint(
            model_name="sandboxaccount",
            name="sandbox_account_unique_handle",
        ),
        migrations.AddField(
            model_name="sandboxaccount",
            name="organization_id",
            field=models.PositiveBigIntegerField(
                null=True,
                help_text="The Roost organisation whose sandbox world holds the account.",
            ),
        ),
        migrations.RunPython(assign_organizations, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="sandboxaccount",
            name="organization_id",
            field=models.PositiveBigIntegerField(
                help_text="The Roost organisation whose sandbox world holds the account."
            ),
        ),
        migrations.AddConstraint(
            model_name="sandboxaccount",
            constraint=models.UniqueConstraint(
                fields=("organization_id", "network", "handle"),
                name="sandbox_account_unique_org_handle",
            ),
        ),
    ]
