from django.urls import path

from roost.core.notifications import contact_views, views

app_name = "notifications"

urlpatterns = [
    path("", views.notification_page, name="list"),
    path("<int:notification_id>/read/", views.notification_read, name="read"),
    path("read-all/", views.notification_read_all, name="read_all"),
    path("contact-methods/", contact_views.contact_method_page, name="contact_methods"),
    path(
        "contact-methods/<int:contact_method_id>/rules/",
        contact_views.contact_method_rules,
        name="contact_method_rules",
    ),
    path(
        "contact-methods/<int:contact_method_id>/test/",
        contact_views.contact_method_test_send,
        name="contact_method_test",
    ),
    path(
        "contact-methods/<int:contact_method_id>/remove/",
        contact_views.contact_method_delete,
        name="contact_method_remove",
    ),
]
