from django.urls import URLPattern, URLResolver, path

from roost.oncall import now_views

app_name = "oncall"

urlpatterns: list[URLPattern | URLResolver] = [
    path("now/panel/", now_views.now_panel, name="now_panel"),
]
