from django.urls import path

from roost.api import views

app_name = "api"

urlpatterns = [
    path("", views.tokens, name="tokens"),
    path("<int:token_id>/revoke/", views.revoke, name="token_revoke"),
]
