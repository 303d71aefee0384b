from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "frontdesk.surveys"
    label = "surveys"
    verbose_name = "Surveys"

    def ready(self) -> None:
        from frontdesk.core.events import subscribe
        from frontdesk.core.ticker import every
        from frontdesk.surveys.services import schedule_on_change, schedule_on_create, surveys_sweep_now
        from frontdesk.tickets.events import TicketChanged, TicketCreated

        subscribe(TicketChanged, schedule_on_change, atomic=False)
        subscribe(TicketCreated, schedule_on_create, atomic=False)
        # Sends, reminders, relationship rounds and overdue follow-ups.
        every(30, surveys_sweep_now, name="surveys-sweep")
