from django.urls import path

from roost.listening import views

app_name = "listening"

urlpatterns = [
    path("", views.monitors, name="monitors"),
    path("monitors/<int:monitor_id>/", views.monitor_detail, name="monitor"),
    path("monitors/<int:monitor_id>/delete/", views.monitor_delete, name="monitor_delete"),
    path("preview/", views.query_preview, name="preview"),
    path("alerts/<int:alert_id>/", views.alert_detail, name="alert"),
    path("feeds/", views.feeds, name="feeds"),
    path("feeds/<int:feed_id>/remove/", views.feed_remove, name="feed_remove"),
]
