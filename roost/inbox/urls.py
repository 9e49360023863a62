from django.urls import path

from roost.inbox import views

app_name = "inbox"

urlpatterns = [
    path("", views.inbox_index, name="index"),
    path("c/<int:conversation_id>/", views.conversation_detail, name="conversation"),
    path("c/<int:conversation_id>/act/", views.conversation_act, name="act"),
]
