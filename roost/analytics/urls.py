from django.urls import URLPattern, URLResolver, path  # noqa: F401  # path: the blocks below

app_name = "analytics"

urlpatterns: list[URLPattern | URLResolver] = []
