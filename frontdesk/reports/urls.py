"""The report pages, mounted at /reports/."""

from django.urls import path

from frontdesk.reports import views

app_name = "reports"
urlpatterns = [
    path("agents/", views.agents, name="agents"),
    path("agents.csv", views.agents_csv, name="agents_csv"),
    path("tickets.csv", views.tickets_csv, name="tickets_csv"),
]
