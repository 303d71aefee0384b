"""The report pages, mounted at /reports/."""

from django.urls import path

from frontdesk.reports import views

app_name = "reports"
urlpatterns = [
    path("agents/", views.agents, name="agents"),
    path("agents.csv", views.agents_csv, name="agents_csv"),
    path("tickets.csv", views.tickets_csv, name="tickets_csv"),
    path("sla/", views.sla, name="sla"),
    path("sla.csv", views.sla_csv, name="sla_csv"),
    path("sla/contracts/", views.sla_contract_pick, name="sla_contract_pick"),
    path("sla/contracts/<int:organisation_id>/", views.sla_contract, name="sla_contract"),
    path("sla/contracts/<int:organisation_id>.csv", views.sla_contract_csv, name="sla_contract_csv"),
    path("surveys/", views.surveys, name="surveys"),
    path("surveys.csv", views.surveys_csv, name="surveys_csv"),
    path("surveys/answers/", views.survey_answers, name="survey_answers"),
]
