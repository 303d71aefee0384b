from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "frontdesk.sla"
    label = "sla"
    verbose_name = "SLA"

    def ready(self) -> None:
        from frontdesk.core.events import subscribe
        from frontdesk.core.ticker import every
        from frontdesk.sla.services import refresh_on_change, refresh_on_create, refresh_on_message, sla_sweep_now
        from frontdesk.tickets.events import MessageAdded, TicketChanged, TicketCreated

        # sla_refresh opens its own transaction, and only when there is something to compute.
        subscribe(TicketCreated, refresh_on_create, atomic=False)
        subscribe(MessageAdded, refresh_on_message, atomic=False)
        subscribe(TicketChanged, refresh_on_change, atomic=False)
        # Alarms are due to the second: the sweep runs more often than Huey's once-a-minute periodic jobs.
        every(5, sla_sweep_now, name="sla-sweep")
