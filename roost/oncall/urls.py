from django.urls import URLPattern, URLResolver, include, path

app_name = "oncall"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", include("roost.oncall.paging.urls")),
]
