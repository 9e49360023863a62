"""The export links of every dashboard kind and the scheduled reports' pages: what each
role may do, what is audited, and awkward input answered with a clear 4xx."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse

from roost.analytics.dashboard import Period, dashboard_build, dashboard_kinds
from roost.analytics.models import ScheduledReport
from roost.analytics.reports import scheduled_report_create
from roost.core.models import AuditEvent, ChannelGroup, Role

pytestmark = pytest.mark.django_db


def _export(kind: str, extension: str = "csv") -> str:
    return reverse(f"analytics:export_{extension}", args=[kind])


def _rows(response) -> list[list[str]]:  # type: ignore[no-untyped-def]
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_every_declared_kind_exports_as_csv_and_pdf_with_the_pages_query(
    admin, signed_in, make_channel, with_days, sample_dashboards
):
    channel = make_channel(handle="acme_uk")
    with_days(channel, dt.date(2026, 10, 26), [100] * 14)
    client = signed_in(admin)
    query = {"start": "2026-11-02", "end": "2026-11-08", "network": "linkedin"}
    for kind in dashboard_kinds():
        wanted = {k: v for k, v in query.items() if k in ("start", "end", *kind.filters)}
        pdf = client.get(_export(kind.kind, "pdf"), wanted)
        assert pdf.status_code == 200, pdf.content[:300]
        assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
        assert pdf["Content-Disposition"] == (
            f'attachment; filename="roost-{kind.kind}-2026-11-02-to-2026-11-08.pdf"'
        )
        rows = _rows(client.get(_export(kind.kind), wanted))
        period = Period(start=dt.date(2026, 11, 2), end=dt.date(2026, 11, 8))
        filters = {k: v for k, v in wanted.items() if k in kind.filters}
        built = dashboard_build(kind.kind, viewer=admin, period=period, filters=filters)
        assert rows[0] == ["Dashboard", built.title]
        assert rows[1] == ["Period", "2026-11-02", "2026-11-08"]
    rows = _rows(client.get(_export("sample"), query))
    assert ["Filters", "network=linkedin"] in rows
    assert ["acme_uk", "700"] in rows


def test_a_viewer_exports_only_the_figures_of_their_channel_groups(
    org, make_user, signed_in, make_channel, with_days, sample_dashboards
):
    mine = make_channel(handle="acme_uk", group="Consumer")
    theirs = make_channel(handle="acme_pro", group="Business")
    with_days(mine, dt.date(2026, 11, 2), [10] * 7)
    with_days(theirs, dt.date(2026, 11, 2), [99] * 7)
    group = ChannelGroup.objects.get(organization=org, name="Consumer")
    viewer = make_user(org, Role.VIEWER, channel_group=group)
    client = signed_in(viewer)
    rows = _rows(client.get(_export("sample"), {"start": "2026-11-02", "end": "2026-11-08"}))
    assert ["acme_uk", "70"] in rows
    assert not any("acme_pro" in row for row in rows)
    # Naming the other group's channel is as if it did not exist.
    hidden = client.get(_export("sample"), {"days": "7", "channel": theirs.pk})
    assert hidden.status_code == 404


@pytest.mark.parametrize(
    ("query", "status", "says"),
    [
        ({"days": "13"}, 422, "Choose the last 7, 28, 90 days"),
        ({"start": "2026-11-02"}, 422, "Give both the first and the last day."),
        ({"start": "2026-02-30", "end": "2026-03-02"}, 422, "Give a date as YYYY-MM-DD."),
        ({"start": "9999-01-01", "end": "9999-01-07"}, 422, "Choose a day between"),
        ({"start": "0001-01-01", "end": "0001-01-02"}, 422, "Choose a day between"),
        ({"start": "2026-11-08", "end": "2026-11-02"}, 422, "on or after the first"),
        ({"start": "2020-01-01", "end": "2026-11-02"}, 422, "at most 731 days"),
        ({"channel": "abc"}, 422, "named by its id"),
        ({"channel": "99999999999999999999"}, 422, "named by its id"),
        ({"channel": "4"}, 404, "No such channel."),
        ({"campaign": "4"}, 422, "has no campaign filter"),
        ({"network": "Not A Network!"}, 422, "No such network."),
    ],
)
def test_awkward_queries_get_a_clear_error_page_not_a_500(
    admin, signed_in, sample_dashboards, query, status, says
):
    response = signed_in(admin).get(_export("sample", "pdf"), query)
    assert response.status_code == status
    assert says in response.content.decode()


def test_an_unknown_kind_is_a_404_and_another_organisations_channel_too(
    admin, other_org, signed_in, sample_dashboards, make_user
):
    client = signed_in(admin)
    assert client.get(_export("nonesuch")).status_code == 404
    from roost.channels import services as channel_services

    other_admin = make_user(other_org, Role.ADMIN)
    group = ChannelGroup.objects.create(organization=other_org, name="Theirs")
    foreign = channel_services.channel_create(
        actor=other_admin, organization=other_org, network="linkedin", placement="post",
        handle="globex", channel_group=group, primary_owner=other_admin,
    )  # fmt: skip
    assert client.get(_export("sample"), {"channel": foreign.pk}).status_code == 404


def _form(**changes: str) -> dict[str, str]:
    return {
        "name": "Weekly overview",
        "dashboard": "sample",
        "frequency": "weekly",
        "recipients": "cmo@acme.example, Board@Acme.example\ncmo@acme.example",
        "network": "",
        **changes,
    }


def test_an_analyst_schedules_edits_pauses_resumes_and_deletes_a_report(
    org, make_user, signed_in, make_channel, sample_dashboards
):
    make_channel(network="linkedin")
    analyst = make_user(org, Role.ANALYST)
    client = signed_in(analyst)
    assert client.get(reverse("analytics:reports")).status_code == 200
    made = client.post(reverse("analytics:reports"), _form(network="linkedin"))
    assert made.status_code == 302
    report = ScheduledReport.objects.get()
    assert report.recipients == ["cmo@acme.example", "board@acme.example"]
    assert (report.dashboard, report.filters, report.created_by) == (
        "sample",
        {"network": "linkedin"},
        analyst,
    )
    page = client.get(reverse("analytics:report", args=[report.pk]))
    assert "Weekly overview" in page.content.decode()
    assert _export("sample", "pdf") + "?start=" in page.content.decode()

    edited = client.post(
        reverse("analytics:report", args=[report.pk]),
        _form(name="Monthly overview", frequency="monthly", recipients="cmo@acme.example"),
    )
    assert edited.status_code == 302
    report.refresh_from_db()
    assert (report.name, report.frequency, report.recipients, report.filters) == (
        "Monthly overview",
        "monthly",
        ["cmo@acme.example"],
        {},
    )
    client.post(reverse("analytics:report_pause", args=[report.pk]))
    report.refresh_from_db()
    assert not report.active
    client.post(reverse("analytics:report_resume", args=[report.pk]))
    report.refresh_from_db()
    assert report.active
    client.post(reverse("analytics:report_delete", args=[report.pk]))
    assert not ScheduledReport.objects.exists()
    actions = list(
        AuditEvent.objects.filter(action__startswith="analytics.report.")
        .order_by("sequence")
        .values_list("action", flat=True)
    )
    assert actions == [
        "analytics.report.created",
        "analytics.report.updated",
        "analytics.report.paused",
        "analytics.report.resumed",
        "analytics.report.deleted",
    ]


@pytest.mark.parametrize(
    ("changes", "field_says"),
    [
        ({"recipients": "not-an-address"}, "is not an e-mail address"),
        ({"recipients": " , ,"}, "Give at least one address"),
        ({"recipients": ",".join(f"p{n}@acme.example" for n in range(51))}, "At most 50"),
        ({"name": "   "}, "This field is required"),
        ({"dashboard": "nonesuch"}, "Select a valid choice"),
        ({"frequency": "daily"}, "Select a valid choice"),
        ({"network": "mastodon"}, "Select a valid choice"),  # no such channel's network
    ],
)
def test_a_bad_report_form_shows_the_error_and_stores_nothing(
    admin, signed_in, make_channel, sample_dashboards, changes, field_says
):
    make_channel()
    response = signed_in(admin).post(reverse("analytics:reports"), _form(**changes))
    assert response.status_code in (400, 422)
    assert field_says in response.content.decode()
    assert not ScheduledReport.objects.exists()


def test_a_filter_the_dashboard_does_not_take_is_refused_by_the_service(
    admin, make_channel, sample_dashboards
):
    from roost.core.errors import ApplicationError

    channel = make_channel()
    with pytest.raises(ApplicationError) as refused:
        scheduled_report_create(
            actor=admin, organization=admin.organization, name="Campaign", dashboard="campaign",
            frequency="weekly", recipients=["a@acme.example"], filters={"channel": channel.pk},
        )  # fmt: skip
    assert (refused.value.code, refused.value.field) == ("invalid", "channel")
    assert not ScheduledReport.objects.exists()


def test_publishers_and_viewers_may_not_manage_reports(
    org, make_user, signed_in, sample_dashboards
):
    lead = make_user(org, Role.MANAGER)
    report = scheduled_report_create(
        actor=lead, organization=org, name="Weekly", dashboard="sample", frequency="weekly",
        recipients=["cmo@acme.example"],
    )  # fmt: skip
    for role in (Role.PUBLISHER, Role.VIEWER, Role.COMMUNITY_MANAGER):
        client = signed_in(make_user(org, role))
        assert client.get(reverse("analytics:reports")).status_code == 403
        assert client.post(reverse("analytics:reports"), _form()).status_code == 403
        assert client.post(reverse("analytics:report_delete", args=[report.pk])).status_code == 403
        # Exports are everyone's (their own channels' figures).
        assert client.get(_export("sample")).status_code == 200
    assert ScheduledReport.objects.count() == 1


def test_another_organisations_report_is_not_found(
    org, other_org, make_user, signed_in, sample_dashboards
):
    theirs_lead = make_user(other_org, Role.MANAGER)
    theirs = scheduled_report_create(
        actor=theirs_lead, organization=other_org, name="Theirs", dashboard="sample",
        frequency="weekly", recipients=["x@globex.example"],
    )  # fmt: skip
    mine = signed_in(make_user(org, Role.ADMIN))
    for name in ("report", "report_pause", "report_resume", "report_delete"):
        method = mine.get if name == "report" else mine.post
        assert method(reverse(f"analytics:{name}", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.active
    assert "Theirs" not in mine.get(reverse("analytics:reports")).content.decode()


def test_a_finished_campaigns_report_is_listed_with_links_that_open(
    admin, signed_in, make_channel, with_days, sample_dashboards
):
    from roost.analytics.models import CampaignReport
    from roost.publishing.models import Campaign

    campaign = Campaign.objects.create(
        organization=admin.organization, name="Spring jackets", created_by=admin,
        release_at=dt.datetime(2026, 10, 1, 10, tzinfo=dt.UTC), status=Campaign.Status.RELEASED,
    )  # fmt: skip
    with_days(make_channel(handle="acme_uk"), dt.date(2026, 10, 1), [40] * 30, campaign=campaign)
    CampaignReport.objects.create(
        organization=admin.organization, campaign=campaign,
        start=dt.date(2026, 10, 1), end=dt.date(2026, 10, 28),
    )  # fmt: skip
    client = signed_in(admin)
    page = client.get(reverse("analytics:reports")).content.decode()
    assert "Spring jackets" in page
    query = f"start=2026-10-01&amp;end=2026-10-28&amp;campaign={campaign.pk}"
    link = f"{_export('campaign', 'csv')}?{query}"
    assert link in page
    rows = _rows(client.get(link.replace("&amp;", "&")))
    assert ["Filters", f"campaign={campaign.pk}"] in rows
    assert ["acme_uk", "1120"] in rows
