"""The webhook settings pages, mounted at /settings/."""

from django.urls import path

from frontdesk.notifications import views

app_name = "notifications"
urlpatterns = [
    path("webhooks/", views.webhooks, name="webhooks"),
    path("webhooks/new/", views.webhook_create, name="webhook_create"),
    path("webhooks/<int:webhook_id>/", views.webhook_edit, name="webhook_edit"),
    path("webhooks/<int:webhook_id>/delete/", views.webhook_delete, name="webhook_delete"),
    path(
        "webhooks/<int:webhook_id>/deliveries/<int:delivery_id>/retry/",
        views.delivery_retry,
        name="delivery_retry",
    ),
]
