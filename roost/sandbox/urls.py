from django.urls import path

from roost.sandbox import views

app_name = "sandbox"

urlpatterns = [
    path("channels/<int:channel_id>/connect/", views.channel_connect_sandbox, name="connect"),
    path("channels/<int:channel_id>/knobs/", views.channel_knobs, name="knobs"),
    path("channels/<int:channel_id>/activity/", views.channel_activity, name="activity"),
]
