"""The channel registry: adding, permissions, health filters, CSV import and export."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from roost.channels import csv_io, selectors, services
from roost.channels.models import Channel, ChannelStatus
from roost.core.csv_export import FORMULA_STARTS, safe_cell
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import AuditEvent, Brand, ChannelGroup, Role

HEADER = (
    "network,placement,handle,display_name,channel_group,brand,"
    "primary_owner,backup_owner,connector\n"
)


@pytest.fixture
def group(org):
    brand = Brand.objects.create(organization=org, name="Acme EMEA")
    return ChannelGroup.objects.create(organization=org, name="Consumer", brand=brand)


@pytest.fixture
def owners(org, make_user):
    return make_user(org, Role.PUBLISHER, email="owner@acme.example"), make_user(
        org, Role.PUBLISHER, email="backup@acme.example"
    )


def add(actor, org, group, owner, handle="acme", **extra):
    return services.channel_create(
        actor=actor,
        organization=org,
        network=extra.pop("network", "bluesky"),
        placement=extra.pop("placement", "post"),
        handle=handle,
        channel_group=group,
        primary_owner=owner,
        **extra,
    )


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "allowed"), [(r, r in (Role.ADMIN, Role.MANAGER)) for r in Role])
def test_only_admins_and_managers_of_the_group_add_channels(
    role, allowed, org, group, owners, make_user
):
    actor = make_user(org, role, channel_group=group)
    if allowed:
        assert add(actor, org, group, owners[0]).handle == "acme"
    else:
        with pytest.raises(ApplicationError) as refused:
            add(actor, org, group, owners[0])
        assert refused.value.code is ErrorCode.PERMISSION_DENIED
        assert not Channel.objects.exists()


@pytest.mark.django_db
def test_a_manager_of_another_group_cannot_add_here(org, group, owners, make_user):
    elsewhere = ChannelGroup.objects.create(organization=org, name="Careers")
    manager = make_user(org, Role.MANAGER, channel_group=elsewhere)
    with pytest.raises(ApplicationError):
        add(manager, org, group, owners[0])


@pytest.mark.django_db
def test_unknown_placement_and_self_backup_are_clear_errors(org, admin, group, owners):
    with pytest.raises(ApplicationError, match="has no placement 'reels'"):
        add(admin, org, group, owners[0], placement="reels")
    with pytest.raises(ApplicationError, match="Unknown network"):
        add(admin, org, group, owners[0], network="myspace")
    with pytest.raises(ApplicationError, match="must be someone else"):
        add(admin, org, group, owners[0], backup_owner=owners[0])


@pytest.mark.django_db
def test_status_changes_are_audited(org, admin, group, owners):
    channel = add(admin, org, group, owners[0])
    services.channel_status_set(actor=admin, channel=channel, status=ChannelStatus.PAUSED)
    services.channel_status_set(actor=admin, channel=channel, status=ChannelStatus.ACTIVE)
    services.channel_status_set(actor=admin, channel=channel, status=ChannelStatus.ARCHIVED)
    actions = list(
        AuditEvent.objects.filter(target_type="channels.channel")
        .order_by("sequence")
        .values_list("action", flat=True)
    )
    assert actions == [
        "channels.channel.created",
        "channels.channel.paused",
        "channels.channel.resumed",
        "channels.channel.archived",
    ]
    assert not selectors.channel_list(viewer=admin).exists()  # archived are hidden by default


@pytest.mark.django_db
def test_health_filters_and_the_missing_backup_flag(org, admin, group, owners):
    healthy = add(admin, org, group, owners[0], handle="healthy", backup_owner=owners[1])
    lonely = add(admin, org, group, owners[0], handle="lonely")
    failing = add(admin, org, group, owners[0], handle="failing", backup_owner=owners[1])
    failing.last_error, failing.last_error_at = "401 from the network", timezone.now()
    failing.save(update_fields=["last_error", "last_error_at"])
    expiring = add(admin, org, group, owners[0], handle="expiring", backup_owner=owners[1])
    expiring.credential_expires_at = timezone.now() + dt.timedelta(days=3)
    expiring.save(update_fields=["credential_expires_at"])

    def handles(health):
        f = selectors.ChannelFilter(health=health)
        return {c.handle for c in selectors.channel_list(viewer=admin, filters=f)}

    assert handles(selectors.Health.NO_BACKUP) == {"lonely"}
    assert handles(selectors.Health.ERROR) == {"failing"}
    assert handles(selectors.Health.EXPIRING) == {"expiring"}
    assert handles(selectors.Health.OK) == {"healthy"}
    assert selectors.channel_problems(lonely) == [selectors.Health.NO_BACKUP]
    assert selectors.channel_problems(healthy) == []


def _csv(rows):
    return (HEADER + "".join(rows)).encode()


def _row(n, group="Consumer", owner="owner@acme.example", network="bluesky", placement="post"):
    return (
        f"{network},{placement},acme{n},Acme {n},{group},Acme EMEA,"
        f"{owner},backup@acme.example,sandbox\n"
    )


@pytest.mark.django_db
def test_a_300_row_file_imports(org, admin, group, owners):
    data = _csv(_row(n, network=("bluesky", "x", "mastodon")[n % 3]) for n in range(300))
    dry = csv_io.channels_import(actor=admin, data=data, dry_run=True)
    assert dry.ok and dry.rows == 300 and not Channel.objects.exists()
    report = csv_io.channels_import(actor=admin, data=data, dry_run=False)
    assert report.ok and report.imported == 300
    assert Channel.objects.filter(organization=org).count() == 300
    assert AuditEvent.objects.filter(action="channels.channel.created").count() == 300


@pytest.mark.django_db
def test_a_file_with_three_bad_rows_imports_nothing_and_names_all_three(org, admin, group, owners):
    rows = [_row(n) for n in range(20)]
    rows[4] = _row(4, network="myspace")
    rows[9] = _row(9, group="Nope")
    rows[14] = "bluesky,post,acme14,Acme,Consumer,,,,sandbox\n"
    rows.append(_row(3))  # duplicate handle of line 5
    report = csv_io.channels_import(actor=admin, data=_csv(rows), dry_run=False)
    assert not Channel.objects.exists()
    lines = {e.line: e.reason for e in report.errors}
    assert set(lines) == {6, 11, 16, 22}
    assert "Unknown network 'myspace'" in lines[6]
    assert "unknown channel group 'Nope'" in lines[11]
    assert "missing primary owner" in lines[16]
    assert "duplicate handle 'acme3': also on line 5" in lines[22]


@pytest.mark.django_db
def test_import_refuses_a_missing_column_and_non_utf8(admin):
    assert (
        csv_io.channels_import(actor=admin, data=b"network,handle\nx,y\n", dry_run=True)
        .errors[0]
        .reason.startswith("Missing columns")
    )
    assert (
        "not UTF-8"
        in csv_io.channels_import(actor=admin, data=b"\xff\xfe\x00", dry_run=True).errors[0].reason
    )


@pytest.mark.django_db
def test_import_page_lists_bad_rows(org, admin, group, owners, signed_in):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = signed_in(admin)
    upload = SimpleUploadedFile(
        "c.csv", _csv([_row(1), _row(2, group="Nope")]), content_type="text/csv"
    )
    response = client.post(reverse("channels:import"), {"file": upload})
    assert response.status_code == 422
    assert "Line 3: unknown channel group" in response.content.decode()
    assert not Channel.objects.exists()


@pytest.mark.django_db
def test_export_round_trips_through_import(org, other_org, admin, group, owners, make_user):
    add(admin, org, group, owners[0], handle="one", backup_owner=owners[1])
    exported = csv_io.channels_export(viewer=admin)
    assert exported.splitlines()[0].startswith("network,placement,handle")
    assert "one" in exported
    Channel.objects.all().delete()
    assert csv_io.channels_import(actor=admin, data=exported.encode(), dry_run=False).imported == 1


@pytest.mark.django_db
def test_viewers_see_only_their_groups_and_other_orgs_get_404(
    org, other_org, group, owners, admin, make_user, signed_in
):
    add(admin, org, group, owners[0], handle="mine")
    other_group = ChannelGroup.objects.create(organization=org, name="Careers")
    add(admin, org, other_group, owners[0], handle="careers")
    scoped_viewer = make_user(org, Role.VIEWER, channel_group=group)
    assert {c.handle for c in selectors.channel_list(viewer=scoped_viewer)} == {"mine"}
    stranger_admin = make_user(other_org, Role.ADMIN)
    channel = Channel.objects.get(handle="mine")
    assert (
        signed_in(stranger_admin).get(reverse("channels:detail", args=[channel.pk])).status_code
        == 404
    )


@pytest.mark.django_db
def test_channel_list_page_query_count_is_flat(
    org, admin, group, owners, signed_in, django_assert_max_num_queries
):
    Channel.objects.bulk_create(
        Channel(
            organization=org,
            network=("bluesky", "x", "mastodon")[n % 3],
            placement="post",
            connector="sandbox",
            handle=f"c{n}",
            channel_group=group,
            primary_owner=owners[0],
            backup_owner=owners[1] if n % 2 else None,
        )
        for n in range(320)
    )
    client = signed_in(admin)
    client.get(reverse("channels:list"))
    with django_assert_max_num_queries(16):
        response = client.get(reverse("channels:list"))
    assert response.status_code == 200
    assert "320 channels" in response.content.decode()
    with django_assert_max_num_queries(16):
        filtered = client.get(reverse("channels:list"), {"network": "x", "health": "no_backup"})
    assert "53 channels" in filtered.content.decode()


@pytest.mark.django_db
def test_edit_page_sets_a_backup_owner_and_refuses_self_backup(
    org, admin, group, owners, signed_in
):
    channel = add(admin, org, group, owners[0], handle="edit-me")
    client = signed_in(admin)
    form = {
        "handle": "edited",
        "display_name": "Edited",
        "channel_group": group.pk,
        "brand": "",
        "primary_owner": owners[0].pk,
        "backup_owner": owners[0].pk,
    }
    refused = client.post(reverse("channels:edit", args=[channel.pk]), form)
    assert refused.status_code == 422
    assert "must be someone else" in refused.content.decode()
    form["backup_owner"] = owners[1].pk
    assert client.post(reverse("channels:edit", args=[channel.pk]), form).status_code == 302
    channel.refresh_from_db()
    assert (channel.handle, channel.backup_owner_id) == ("edited", owners[1].pk)
    event = AuditEvent.objects.get(action="channels.channel.updated")
    assert event.before["handle"] == "edit-me" and event.after["handle"] == "edited"


@pytest.mark.django_db
def test_export_keeps_formula_like_cells_as_text_and_imports_them_back(admin, org, owners):
    brand = Brand.objects.create(organization=org, name="@Brand")
    group = ChannelGroup.objects.create(organization=org, name="+Group", brand=brand)
    add(admin, org, group, owners[0], handle="one", display_name='=HYPERLINK("x")', brand=brand)
    exported = csv_io.channels_export(viewer=admin)
    row = next(csv.DictReader(io.StringIO(exported)))
    assert row["display_name"] == '\'=HYPERLINK("x")'
    assert row["channel_group"] == "'+Group"
    assert row["brand"] == "'@Brand"
    assert not any(value.startswith(FORMULA_STARTS) for value in row.values())
    Channel.objects.all().delete()
    assert csv_io.channels_import(actor=admin, data=exported.encode(), dry_run=False).imported == 1
    assert Channel.objects.get().display_name == '=HYPERLINK("x")'


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+31 20", "'+31 20"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("plain", "plain"),
        (-2, -2),
    ],
)
def test_safe_cell_neutralises_every_formula_start(value, written):
    assert safe_cell(value) == written
