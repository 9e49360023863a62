from django.urls import URLPattern, URLResolver, path

from roost.analytics import competitor_views, report_views, views

app_name = "analytics"

urlpatterns: list[URLPattern | URLResolver] = [
    # Dashboards and the definitions they count by.
    path("", views.dashboard_page, {"kind": "overview"}, name="overview"),
    path("network/", views.dashboard_page, {"kind": "network"}, name="network"),
    path("channel/", views.dashboard_page, {"kind": "channel"}, name="channel"),
    path("campaign/", views.dashboard_page, {"kind": "campaign"}, name="campaign"),
    path("community/", views.dashboard_page, {"kind": "community"}, name="community"),
    path("publishing/", views.dashboard_page, {"kind": "publishing"}, name="publishing"),
    path("definitions/", views.definitions_page, name="definitions"),
    # Exports of any dashboard, scheduled reports.
    path("export/<slug:kind>.csv", report_views.export, {"extension": "csv"}, name="export_csv"),
    path("export/<slug:kind>.pdf", report_views.export, {"extension": "pdf"}, name="export_pdf"),
    path("reports/", report_views.report_list, name="reports"),
    path("reports/<int:report_id>/", report_views.report_detail, name="report"),
    path("reports/<int:report_id>/pause/", report_views.report_pause, name="report_pause"),
    path("reports/<int:report_id>/resume/", report_views.report_resume, name="report_resume"),
    path("reports/<int:report_id>/delete/", report_views.report_delete, name="report_delete"),
    # Competitors, side by side with the organisation's own channels.
    path("competitors/", competitor_views.competitor_index, name="competitors"),
    path(
        "competitors/<int:competitor_id>/remove/",
        competitor_views.competitor_remove,
        name="competitor_remove",
    ),
]
