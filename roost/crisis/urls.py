from django.urls import path

from roost.crisis import views

app_name = "crisis"

urlpatterns = [
    path("", views.crisis_home, name="home"),
    path("incidents/new/", views.incident_new, name="incident_new"),
    path("incidents/<int:incident_id>/", views.incident_detail, name="incident"),
    path("incidents/<int:incident_id>/act/", views.incident_act, name="incident_act"),
    path("mode/start/", views.crisis_start, name="start"),
    path("mode/<int:crisis_id>/", views.crisis_detail, name="mode"),
    path("mode/<int:crisis_id>/end/", views.crisis_end, name="end"),
    path("mode/<int:crisis_id>/review/", views.crisis_review, name="review"),
    path("mode/<int:crisis_id>/report/", views.crisis_report, name="report"),
    path("mode/<int:crisis_id>/report.pdf", views.crisis_report_pdf, name="report_pdf"),
    path("playbooks/<int:playbook_id>/", views.playbook_detail, name="playbook"),
    path("surges/link/", views.surge_link, name="surge_link"),
]
