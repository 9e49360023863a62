from django.urls import path

from roost.media import views

app_name = "media"

urlpatterns = [
    path("", views.library, name="library"),
    path("upload/", views.upload, name="upload"),
    path("<int:asset_id>/", views.detail, name="detail"),
    path("<int:asset_id>/renditions/", views.renditions, name="renditions"),
    path("<int:asset_id>/original", views.original, name="original"),
    path("out/<str:token>", views.published, name="published"),
    path("<int:asset_id>/preview.jpg", views.preview, name="preview"),
    path(
        "<int:asset_id>/renditions/<int:rendition_id>/file",
        views.rendition_file,
        name="rendition_file",
    ),
]
