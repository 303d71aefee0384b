"""The SLA settings pages, mounted at /settings/."""

from django.urls import path

from frontdesk.sla import views

app_name = "sla"
urlpatterns = [
    path("sla/policies/", views.policies, name="policies"),
    path("sla/policies/new/", views.policy_form, name="policy_create"),
    path("sla/policies/<int:policy_id>/", views.policy_form, name="policy_edit"),
    path("sla/policies/<int:policy_id>/delete/", views.policy_delete, name="policy_delete"),
    path("sla/calendars/", views.calendars, name="calendars"),
    path("sla/calendars/new/", views.calendar_form, name="calendar_create"),
    path("sla/calendars/<int:calendar_id>/", views.calendar_form, name="calendar_edit"),
    path("sla/calendars/<int:calendar_id>/delete/", views.calendar_delete, name="calendar_delete"),
    path("sla/calendars/<int:calendar_id>/holidays/", views.holiday_add, name="holiday_add"),
    path("sla/calendars/<int:calendar_id>/holidays/import/", views.holidays_import, name="holidays_import"),
    path(
        "sla/calendars/<int:calendar_id>/holidays/<int:holiday_id>/delete/",
        views.holiday_delete,
        name="holiday_delete",
    ),
    path("sla/contracts/", views.contracts, name="contracts"),
    path("sla/contracts/new/", views.contract_form, name="contract_create"),
    path("sla/contracts/<int:contract_id>/", views.contract_form, name="contract_edit"),
    path("sla/contracts/<int:contract_id>/delete/", views.contract_delete, name="contract_delete"),
]
