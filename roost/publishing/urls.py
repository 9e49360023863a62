from django.urls import path

from roost.publishing import calendar_views, campaign_views, compliance_views, views

app_name = "publishing"

urlpatterns = [
    path("", views.post_index, name="index"),
    path("new/", views.post_compose, name="compose"),
    path("checks/", views.live_checks, name="checks"),
    path("new/upload/", views.compose_upload, name="compose_upload"),
    path("posts/<int:post_id>/", views.post_detail, name="detail"),
    path("posts/<int:post_id>/edit/", views.post_edit, name="edit"),
    path("posts/<int:post_id>/schedule/", views.post_schedule, name="schedule"),
    path("posts/<int:post_id>/media/", views.post_media, name="media"),
    path("variants/<int:variant_id>/", views.variant_edit, name="variant_edit"),
    path("variants/<int:variant_id>/check/", views.variant_check_again, name="variant_check"),
    path(
        "variants/<int:variant_id>/mark-published/",
        views.variant_mark_published,
        name="variant_mark_published",
    ),
    path(
        "variants/<int:variant_id>/send-again/",
        views.variant_send_again,
        name="variant_send_again",
    ),
    path("campaigns/", campaign_views.campaign_list, name="campaigns"),
    path("campaigns/<int:campaign_id>/", campaign_views.campaign_detail, name="campaign"),
    path(
        "campaigns/<int:campaign_id>/action/",
        campaign_views.campaign_action,
        name="campaign_action",
    ),
    path("calendar/", calendar_views.calendar_page, name="calendar"),
    path("calendar/move/", calendar_views.calendar_move, name="calendar_move"),
    path("calendar/feed/<str:token>.ics", calendar_views.calendar_feed_view, name="calendar_feed"),
    path("compliance/", compliance_views.compliance_rules, name="compliance"),
    path(
        "compliance/<int:rule_id>/",
        compliance_views.compliance_rule_edit,
        name="compliance_edit",
    ),
    path(
        "compliance/<int:rule_id>/delete/",
        compliance_views.compliance_rule_delete,
        name="compliance_delete",
    ),
]
