from django.urls import path

from roost.core.notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.notification_page, name="list"),
    path("<int:notification_id>/read/", views.notification_read, name="read"),
    path("read-all/", views.notification_read_all, name="read_all"),
]
