from django.urls import URLPattern, URLResolver, path

app_name = "analytics"

urlpatterns: list[URLPattern | URLResolver] = []

# -- Reports: exports of any dashboard, scheduled reports, campaign reports ---------------
from roost.analytics import report_views  # noqa: E402

urlpatterns += [
    path("export/<slug:kind>.csv", report_views.export, {"extension": "csv"}, name="export_csv"),
    path("export/<slug:kind>.pdf", report_views.export, {"extension": "pdf"}, name="export_pdf"),
    path("reports/", report_views.report_list, name="reports"),
    path("reports/<int:report_id>/", report_views.report_detail, name="report"),
    path("reports/<int:report_id>/pause/", report_views.report_pause, name="report_pause"),
    path("reports/<int:report_id>/resume/", report_views.report_resume, name="report_resume"),
    path("reports/<int:report_id>/delete/", report_views.report_delete, name="report_delete"),
]
