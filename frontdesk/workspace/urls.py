from django.urls import path

from frontdesk.workspace import views

app_name = "workspace"
urlpatterns = [
    path("", views.inbox, name="inbox"),
]
