from django.urls import path

from roost.inbox.views import conversations

app_name = "inbox"

urlpatterns = [
    path("", conversations.inbox_index, name="index"),
    path("c/<int:conversation_id>/", conversations.conversation_detail, name="conversation"),
    path("c/<int:conversation_id>/act/", conversations.conversation_act, name="act"),
]
