from django.urls import path

from roost.publishing import approval_views, workflow_views

app_name = "approvals"

urlpatterns = [
    path("", approval_views.approval_queue, name="queue"),
    path("posts/<int:post_id>/", approval_views.approval_post, name="post"),
    path("posts/<int:post_id>/submit/", approval_views.approval_submit, name="submit"),
    path("posts/<int:post_id>/approve/", approval_views.approval_approve, name="approve"),
    path("posts/<int:post_id>/reject/", approval_views.approval_reject, name="reject"),
    path("workflows/", workflow_views.workflow_list, name="workflows"),
    path("workflows/<int:workflow_id>/", workflow_views.workflow_edit, name="workflow"),
    path(
        "workflows/<int:workflow_id>/delete/",
        workflow_views.workflow_delete,
        name="workflow_delete",
    ),
    path(
        "workflows/<int:workflow_id>/archive/",
        workflow_views.workflow_archive,
        name="workflow_archive",
    ),
    path(
        "workflows/<int:workflow_id>/restore/",
        workflow_views.workflow_restore,
        name="workflow_restore",
    ),
    path(
        "workflows/<int:workflow_id>/steps/",
        workflow_views.workflow_step_add,
        name="workflow_step_add",
    ),
    path(
        "workflows/<int:workflow_id>/steps/<int:step_id>/",
        workflow_views.workflow_step_edit,
        name="workflow_step",
    ),
    path(
        "workflows/<int:workflow_id>/steps/<int:step_id>/move/",
        workflow_views.workflow_step_move,
        name="workflow_step_move",
    ),
    path(
        "workflows/<int:workflow_id>/steps/<int:step_id>/remove/",
        workflow_views.workflow_step_remove,
        name="workflow_step_remove",
    ),
]
