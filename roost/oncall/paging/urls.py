"""Paging's pages, included by `roost.oncall.urls` in the `oncall` namespace."""

from django.urls import path

from roost.oncall.paging import views

urlpatterns = [
    path("pages/", views.page_list, name="pages"),
    path("pages/new/", views.page_new, name="page_new"),
    path("pages/<int:page_id>/", views.page_detail, name="page"),
    path("pages/<int:page_id>/acknowledge/", views.page_acknowledge, name="page_acknowledge"),
    path("pages/<int:page_id>/resolve/", views.page_resolve, name="page_resolve"),
    path("pages/link/<str:token>/", views.page_link, name="page_link"),
    path("escalation/", views.policy_list, name="policies"),
    path("escalation/new/", views.policy_edit, name="policy_new"),
    path("escalation/<int:policy_id>/", views.policy_edit, name="policy_edit"),
    path("escalation/<int:policy_id>/delete/", views.policy_delete, name="policy_delete"),
]
