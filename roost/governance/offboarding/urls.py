from django.urls import path

from roost.governance.offboarding import views

app_name = "offboarding"

urlpatterns = [
    path("", views.index, name="index"),
    path("preview/", views.preview, name="preview"),
    path("run/", views.run, name="run"),
    path("<int:offboarding_id>/", views.report, name="report"),
    path("<int:offboarding_id>/report.csv", views.report_csv, name="report_csv"),
    path("rotations/", views.rotations, name="rotations"),
    path("rotations/<int:task_id>/done/", views.rotation_done, name="rotation_done"),
]
