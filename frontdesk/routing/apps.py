from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "frontdesk.routing"
    label = "routing"
    verbose_name = "Routing"

    def ready(self) -> None:
        from frontdesk.core.events import subscribe
        from frontdesk.routing.services import assign_on_change, assign_on_create, assign_on_message
        from frontdesk.tickets.events import MessageAdded, TicketChanged, TicketCreated

        # Each pass runs its own short transactions (and takes no lock when nothing waits).
        subscribe(TicketCreated, assign_on_create, atomic=False)
        subscribe(MessageAdded, assign_on_message, atomic=False)
        subscribe(TicketChanged, assign_on_change, atomic=False)
