from django.urls import path

app_name = "audit_stream"

urlpatterns: list = []
