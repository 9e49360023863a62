from django.urls import URLPattern, URLResolver, include, path

from roost.oncall import now_views

app_name = "oncall"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", include("roost.oncall.paging.urls")),
    path("now/panel/", now_views.now_panel, name="now_panel"),
]
