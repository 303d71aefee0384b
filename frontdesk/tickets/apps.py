from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "frontdesk.tickets"
    label = "tickets"

    def ready(self) -> None:
        from frontdesk.accounts.events import ContactMerged
        from frontdesk.core.events import subscribe
        from frontdesk.tickets.services import tickets_move_to_merged_contact

        subscribe(ContactMerged, tickets_move_to_merged_contact)
