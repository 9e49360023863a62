from django.urls import path

from roost.governance import views

app_name = "governance"

urlpatterns = [
    path("", views.home, name="home"),
]
