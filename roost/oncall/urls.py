from django.urls import URLPattern, URLResolver, include, path

from roost.oncall import now_views
from roost.oncall.schedules import views as schedule_views

app_name = "oncall"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", schedule_views.oncall_home, name="home"),
    path("schedules/new/", schedule_views.schedule_new, name="schedule_new"),
    path("schedules/<int:schedule_id>/", schedule_views.schedule_detail, name="schedule"),
    path("schedules/<int:schedule_id>/edit/", schedule_views.schedule_edit, name="schedule_edit"),
    path(
        "schedules/<int:schedule_id>/delete/",
        schedule_views.schedule_delete,
        name="schedule_delete",
    ),
    path("schedules/<int:schedule_id>/layers/new/", schedule_views.layer_new, name="layer_new"),
    path(
        "schedules/<int:schedule_id>/layers/<int:layer_id>/edit/",
        schedule_views.layer_edit,
        name="layer_edit",
    ),
    path(
        "schedules/<int:schedule_id>/layers/<int:layer_id>/delete/",
        schedule_views.layer_delete,
        name="layer_delete",
    ),
    path(
        "schedules/<int:schedule_id>/overrides/new/",
        schedule_views.override_new,
        name="override_new",
    ),
    path(
        "schedules/<int:schedule_id>/overrides/<int:override_id>/delete/",
        schedule_views.override_delete,
        name="override_delete",
    ),
    path("schedules/<int:schedule_id>/swaps/new/", schedule_views.swap_new, name="swap_new"),
    path(
        "schedules/<int:schedule_id>/feed/issue/",
        schedule_views.schedule_feed_issue,
        name="schedule_feed_issue",
    ),
    path(
        "schedules/<int:schedule_id>/feed/revoke/",
        schedule_views.schedule_feed_revoke,
        name="schedule_feed_revoke",
    ),
    path("time-off/", schedule_views.time_off, name="time_off"),
    path(
        "time-off/<int:time_off_id>/delete/",
        schedule_views.time_off_delete,
        name="time_off_delete",
    ),
    path("feed/issue/", schedule_views.person_feed_issue, name="person_feed_issue"),
    path("feeds/shifts/<str:token>.ics", schedule_views.person_feed, name="person_feed"),
    path("feeds/schedule/<str:token>.ics", schedule_views.schedule_feed, name="schedule_feed"),
    path("", include("roost.oncall.paging.urls")),
    path("now/panel/", now_views.now_panel, name="now_panel"),
]
