from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    name = "frontdesk.workspace"
    label = "workspace"

    def ready(self) -> None:
        from frontdesk.core.events import subscribe
        from frontdesk.routing.events import AgentStateChanged
        from frontdesk.tickets.events import MessageAdded, TicketChanged, TicketCreated
        from frontdesk.workspace.consumers import (
            push_agent_state,
            push_message_added,
            push_ticket_changed,
            push_ticket_created,
        )

        # Pushes touch no database: no transaction around them.
        subscribe(TicketCreated, push_ticket_created, atomic=False)
        subscribe(TicketChanged, push_ticket_changed, atomic=False)
        subscribe(MessageAdded, push_message_added, atomic=False)
        subscribe(AgentStateChanged, push_agent_state, atomic=False)
