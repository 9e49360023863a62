from django.urls import path

from roost.core.invitations import views

app_name = "invitations"

urlpatterns = [
    path("", views.invitation_list, name="list"),
    path("policy/", views.invitation_policy, name="policy"),
    path("<int:invitation_id>/resend/", views.invitation_resend, name="resend"),
    path("<int:invitation_id>/revoke/", views.invitation_revoke, name="revoke"),
    path("accept/<str:token>/", views.invitation_accept, name="accept"),
]
