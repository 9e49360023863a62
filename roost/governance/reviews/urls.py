from django.urls import path

from roost.governance.reviews import views

app_name = "access_reviews"

urlpatterns = [
    path("", views.campaign_list, name="campaign_list"),
    path("new/", views.campaign_new, name="campaign_new"),
    path("mine/", views.mine, name="mine"),
    path("<int:campaign_id>/", views.campaign_detail, name="campaign"),
    path("<int:campaign_id>/close/", views.campaign_close, name="campaign_close"),
    path("<int:campaign_id>/report/", views.report_page, name="report"),
    path("<int:campaign_id>/report.csv", views.report_csv, name="report_csv"),
    path("<int:campaign_id>/report.pdf", views.report_pdf, name="report_pdf"),
]
