from django.urls import path

from roost.core.audit_stream import views

app_name = "audit_stream"

urlpatterns = [
    path("", views.destination_list, name="list"),
    path("<int:destination_id>/toggle/", views.destination_toggle, name="toggle"),
    path("<int:destination_id>/delete/", views.destination_delete, name="delete"),
]
