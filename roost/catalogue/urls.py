from django.urls import path

from roost.catalogue import views

app_name = "catalogue"

urlpatterns = [
    path("", views.index, name="index"),
    path("changes/", views.changes, name="changes"),
    path("<slug:key>/", views.network, name="network"),
]
