from django.urls import path

from roost.governance import views
from roost.governance.access import views as access
from roost.governance.risk import views as risk

app_name = "governance"

urlpatterns = [
    path("", views.home, name="home"),
    path("access/", access.access_home, name="access_home"),
    path("access/bulk/", access.access_bulk, name="access_bulk"),
    path("access/people/<int:user_id>/", access.access_person, name="access_person"),
    path(
        "access/groups/<int:channel_group_id>/",
        access.access_channel_group,
        name="access_channel_group",
    ),
    path("access/channels/<int:channel_id>/", access.access_channel, name="access_channel"),
    path("risks/", risk.risk_dashboard, name="risks"),
]
