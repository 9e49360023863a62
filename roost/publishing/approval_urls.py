from django.urls import path

from roost.publishing import approval_views

app_name = "approvals"

urlpatterns = [
    path("", approval_views.approval_queue, name="queue"),
    path("posts/<int:post_id>/", approval_views.approval_post, name="post"),
    path("posts/<int:post_id>/submit/", approval_views.approval_submit, name="submit"),
    path("posts/<int:post_id>/approve/", approval_views.approval_approve, name="approve"),
    path("posts/<int:post_id>/reject/", approval_views.approval_reject, name="reject"),
]
