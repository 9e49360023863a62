from django.urls import URLPattern, URLResolver, path  # path: the blocks below

app_name = "analytics"

urlpatterns: list[URLPattern | URLResolver] = []

# Competitors, side by side with the organisation's own channels.
from roost.analytics import competitor_views  # noqa: E402

urlpatterns += [
    path("competitors/", competitor_views.competitor_index, name="competitors"),
    path(
        "competitors/<int:competitor_id>/remove/",
        competitor_views.competitor_remove,
        name="competitor_remove",
    ),
]
