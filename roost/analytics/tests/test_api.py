"""Metrics, dashboards, exports and scheduled reports over the API: the viewer's channels
only, scopes and roles enforced, problem+json for awkward input and other
organisations' ids, and nothing stored when a request is refused."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from roost.analytics.models import ScheduledReport
from roost.channels import services as channel_services
from roost.core.api_access.tokens import token_create
from roost.core.models import AuditEvent, ChannelGroup, Role

pytestmark = pytest.mark.django_db

READ = ("analytics:read",)
DAYS = "/api/v1/analytics/channel-days"
BOARD = "/api/v1/analytics/dashboards/sample"
WRITE = ("analytics:read", "reports:write")


def client_for(user, scopes=WRITE) -> Client:  # type: ignore[no-untyped-def]
    secret = token_create(user=user, name="bot", scopes=list(scopes)).secret
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def _problem(response, status: int) -> dict:  # type: ignore[no-untyped-def,type-arg]
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


def test_post_metrics_and_channel_days_of_the_viewers_channels(
    org, make_user, make_channel, with_days
):
    mine = make_channel(handle="acme_uk", group="Consumer")
    theirs = make_channel(handle="acme_pro", group="Business")
    variant = with_days(mine, dt.date(2026, 11, 2), [10, 5, 1])
    hidden_variant = with_days(theirs, dt.date(2026, 11, 2), [99])
    viewer = make_user(
        org, Role.VIEWER, channel_group=ChannelGroup.objects.get(organization=org, name="Consumer")
    )
    api = client_for(viewer, READ)

    page = api.get("/api/v1/analytics/post-metrics").json()
    assert page["count"] == 1
    item = page["items"][0]
    assert (item["variant_id"], item["channel_id"], item["network"]) == (
        variant.pk,
        mine.pk,
        "linkedin",
    )
    assert item["totals"]["impressions"] == 16 and item["totals"]["likes"] == 1
    assert item["offered"] == ["impressions", "likes"]
    detail = api.get(f"/api/v1/analytics/post-metrics/{variant.pk}").json()
    assert [r["growth"]["impressions"] for r in detail["readings_list"]] == [10, 5, 1]

    days = api.get(
        "/api/v1/analytics/channel-days", {"start": "2026-11-01", "end": "2026-11-30"}
    ).json()
    assert [(d["day"], d["figures"]["impressions"]) for d in days["items"]] == [
        ("2026-11-02", 10),
        ("2026-11-03", 5),
        ("2026-11-04", 1),
    ]
    assert {d["channel_id"] for d in days["items"]} == {mine.pk}
    # The other group's post is as if it did not exist.
    hidden = api.get(f"/api/v1/analytics/post-metrics/{hidden_variant.pk}")
    _problem(hidden, 404)


@pytest.mark.parametrize(
    ("url", "query", "status", "field"),
    [
        (DAYS, {"start": "9999-01-01", "end": "9999-01-02"}, 422, "start"),
        (DAYS, {"start": "2026-13-01", "end": "2026-13-02"}, 422, "start"),
        (DAYS, {"start": "2026-11-01"}, 422, "end"),
        (DAYS, {"days": "1000000"}, 422, "days"),
        (DAYS, {"channel_id": "0"}, 422, None),
        (DAYS, {"channel_id": str(2**64)}, 422, None),
        ("/api/v1/analytics/post-metrics", {"limit": "100000"}, 422, None),
        ("/api/v1/analytics/post-metrics", {"start": "yesterday", "end": "today"}, 422, "start"),
        (BOARD, {"start": "0001-01-01", "end": "0001-01-01"}, 422, "start"),
        (BOARD, {"days": "-7"}, 422, "days"),
        (BOARD, {"channel": "x"}, 422, "channel"),
        (BOARD, {"campaign": "1"}, 422, "campaign"),
        ("/api/v1/analytics/dashboards/nonesuch", {}, 404, None),
        ("/api/v1/analytics/dashboards/sample/pdf", {"end": "2026-11-01"}, 422, "start"),
        ("/api/v1/analytics/post-metrics/99999999999999999999", {}, 422, None),
    ],
)  # fmt: skip
def test_awkward_queries_are_problems(admin, sample_dashboards, url, query, status, field):
    problem = _problem(client_for(admin).get(url, query), status)
    assert problem.get("field") == field or field is None


def test_a_dashboard_as_json_csv_and_pdf(admin, make_channel, with_days, sample_dashboards):
    with_days(make_channel(handle="acme_uk"), dt.date(2026, 10, 26), [100] * 7 + [150] * 7)
    api = client_for(admin, READ)
    kinds = api.get("/api/v1/analytics/dashboards").json()
    assert {
        "kind": "sample",
        "title": "Sample overview",
        "filters": ["channel", "network"],
    } in kinds
    query = {"start": "2026-11-02", "end": "2026-11-08", "network": "linkedin"}
    board = api.get("/api/v1/analytics/dashboards/sample", query).json()
    assert board["period"] == {"start": "2026-11-02", "end": "2026-11-08"}
    assert board["previous_period"] == {"start": "2026-10-26", "end": "2026-11-01"}
    assert board["filters"] == {"network": "linkedin"}
    figure = board["figures"][0]
    assert (figure["value"], figure["previous"], figure["change"]) == (1050, 700, 0.5)
    assert board["narrative"] == [
        {"text": "Impressions rose 50% on the period before.", "uses": ["impressions"]}
    ]
    chart = board["charts"][0]
    assert chart["series"][0]["values"] == [150] * 7
    assert chart["table"]["rows"][0] == ["02 Nov", "150"]
    assert board["tables"][0]["rows"] == [["acme_uk", "1050"]]
    csv = api.get("/api/v1/analytics/dashboards/sample/csv", query)
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    assert "acme_uk,1050" in csv.content.decode()
    pdf = api.get("/api/v1/analytics/dashboards/sample/pdf", query)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_another_organisations_ids_are_not_found(admin, other_org, make_user, sample_dashboards):
    other_admin = make_user(other_org, Role.ADMIN)
    group = ChannelGroup.objects.create(organization=other_org, name="Theirs")
    foreign = channel_services.channel_create(
        actor=other_admin, organization=other_org, network="linkedin", placement="post",
        handle="globex", channel_group=group, primary_owner=other_admin,
    )  # fmt: skip
    theirs = client_for(other_admin).post(
        "/api/v1/analytics/reports",
        {"name": "Theirs", "dashboard": "sample", "frequency": "weekly",
         "recipients": ["x@globex.example"]},
        content_type="application/json",
    ).json()  # fmt: skip
    api = client_for(admin)
    query = {"channel": str(foreign.pk)}
    _problem(api.get("/api/v1/analytics/dashboards/sample", query), 404)
    assert api.get(DAYS, {"channel_id": foreign.pk}).json()["count"] == 0
    for method, suffix in (("get", ""), ("patch", ""), ("delete", ""), ("post", "/pause")):
        response = getattr(api, method)(
            f"/api/v1/analytics/reports/{theirs['id']}{suffix}", {}, content_type="application/json"
        )
        _problem(response, 404)
    made = api.post(
        "/api/v1/analytics/reports",
        {"name": "Mine", "dashboard": "sample", "frequency": "weekly",
         "recipients": ["cmo@acme.example"], "filters": {"channel": str(foreign.pk)}},
        content_type="application/json",
    )  # fmt: skip
    assert _problem(made, 404)["field"] == "channel"
    assert ScheduledReport.objects.filter(organization=admin.organization).count() == 0


def test_scheduled_reports_crud_with_scopes_and_roles(org, make_user, sample_dashboards):
    analyst = make_user(org, Role.ANALYST)
    api = client_for(analyst)
    made = api.post(
        "/api/v1/analytics/reports",
        {"name": "Weekly", "dashboard": "sample", "frequency": "weekly",
         "recipients": ["CMO@acme.example"], "filters": {"network": "linkedin"}},
        content_type="application/json",
    )  # fmt: skip
    assert made.status_code == 201, made.content
    report = made.json()
    assert (report["recipients"], report["filters"], report["active"]) == (
        ["cmo@acme.example"],
        {"network": "linkedin"},
        True,
    )
    url = f"/api/v1/analytics/reports/{report['id']}"
    changed = api.patch(url, {"frequency": "monthly"}, content_type="application/json").json()
    assert (changed["frequency"], changed["name"]) == ("monthly", "Weekly")
    assert api.post(f"{url}/pause").json()["active"] is False
    assert api.post(f"{url}/resume").json()["active"] is True
    assert [r["id"] for r in api.get("/api/v1/analytics/reports").json()] == [report["id"]]

    # Reading needs analytics:read, changing reports:write and a role that manages reports.
    _problem(
        client_for(analyst, READ).patch(url, {"name": "x"}, content_type="application/json"), 403
    )
    publisher = client_for(make_user(org, Role.PUBLISHER))
    _problem(publisher.get("/api/v1/analytics/reports"), 403)
    _problem(publisher.delete(url), 403)
    assert api.delete(url).status_code == 204
    assert not ScheduledReport.objects.exists()
    assert AuditEvent.objects.filter(action__startswith="analytics.report.").count() == 5


@pytest.mark.parametrize(
    "body",
    [
        {"name": "W", "dashboard": "sample", "frequency": "weekly", "recipients": []},
        {"name": "W", "dashboard": "sample", "frequency": "weekly", "recipients": ["nope"]},
        {"name": "W", "dashboard": "sample", "frequency": "weekly", "recipients": [5]},
        {"name": "W", "dashboard": "sample", "frequency": "daily", "recipients": ["a@b.example"]},
        {"name": "", "dashboard": "sample", "frequency": "weekly", "recipients": ["a@b.example"]},
        {"name": "W", "dashboard": "nonesuch", "frequency": "weekly",
         "recipients": ["a@b.example"]},
        {"name": "W", "dashboard": "campaign", "frequency": "weekly", "recipients": ["a@b.example"],
         "filters": {"network": "linkedin"}},
        {"name": "W", "dashboard": "sample", "frequency": "weekly", "recipients": ["a@b.example"],
         "filters": {"colour": "red"}},
        {"name": "W", "dashboard": "sample", "frequency": "weekly", "recipients": ["a@b.example"],
         "surprise": True},
        {"name": "W" * 121, "dashboard": "sample", "frequency": "weekly",
         "recipients": ["a@b.example"]},
        {"name": "W", "dashboard": "sample", "frequency": "weekly",
         "recipients": [f"p{n}@b.example" for n in range(51)]},
    ],
)  # fmt: skip
def test_a_bad_report_is_a_422_and_nothing_is_stored(admin, sample_dashboards, body):
    response = client_for(admin).post(
        "/api/v1/analytics/reports", body, content_type="application/json"
    )
    _problem(response, 422)
    assert not ScheduledReport.objects.exists()
