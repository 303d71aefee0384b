"""Live updates for the workspace over one WebSocket per page.

The server tells pages *that* something changed (ticket ids and field names,
never content); pages re-fetch what they show through the permission-checked
views. Groups: "inbox" (every signed-in agent), "ticket-<id>" (pages showing
that ticket, joined only after `access_ticket` allows it) and "user-<id>" (the
agent's own pages: `notifications.services.notify` tells them that a notification
arrived, and the page re-fetches its bell). An agent's shift state (working,
intake paused, off) goes to "inbox" too: the team dashboard shows it to every agent.
"""

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from frontdesk.accounts.models import User
from frontdesk.accounts.selectors import require_agent
from frontdesk.core.errors import FrontdeskError
from frontdesk.core.realtime import broadcast, remember_server_loop
from frontdesk.notifications.services import user_group
from frontdesk.routing.events import AgentStateChanged
from frontdesk.tickets.events import MessageAdded, TicketChanged, TicketCreated
from frontdesk.tickets.selectors import access_ticket

INBOX_GROUP = "inbox"
# Close code for a socket opened without a signed-in agent (4000-4999 are the application's own).
UNAUTHORISED = 4401


def ticket_group(ticket_id: int) -> str:
    return f"ticket-{ticket_id}"


# --- domain event handlers (subscribed in WorkspaceConfig.ready) ----------------------


def push_ticket_created(event: TicketCreated) -> None:
    _push({"type": "ticket.created", "ticket_id": event.ticket_id, "actor_id": event.actor_id}, ticket=False)


def push_ticket_changed(event: TicketChanged) -> None:
    _push(
        {
            "type": "ticket.changed",
            "ticket_id": event.ticket_id,
            "actor_id": event.actor_id,
            "fields": list(event.fields),
        }
    )


def push_message_added(event: MessageAdded) -> None:
    _push(
        {
            "type": "ticket.message",
            "ticket_id": event.ticket_id,
            "message_id": event.message_id,
            "kind": event.kind,
            "actor_id": event.actor_id,
        }
    )


def push_agent_state(event: AgentStateChanged) -> None:
    _push(
        {
            "type": "agent.state",
            "agent_id": event.agent_id,
            "old": event.old,
            "state": event.new,
            "at": event.at.isoformat(),
        },
        ticket=False,
    )


def _push(payload: dict[str, Any], *, ticket: bool = True) -> None:
    broadcast(INBOX_GROUP, {"type": "workspace.push", "via": INBOX_GROUP, "payload": payload})
    if ticket:
        group = ticket_group(payload["ticket_id"])
        broadcast(group, {"type": "workspace.push", "via": group, "payload": payload})


# --- the consumer --------------------------------------------------------------------


class WorkspaceConsumer(AsyncJsonWebsocketConsumer):
    """Client messages: {"type": "watch", "ticket_id": N}, {"type": "unwatch", …}, {"type": "typing", …}."""

    agent: User
    watching: set[int]

    async def connect(self) -> None:
        try:
            self.agent = require_agent(self.scope.get("user"))
        except FrontdeskError:
            await self.close(code=UNAUTHORISED)
            return
        remember_server_loop()
        self.watching = set()
        await self.channel_layer.group_add(INBOX_GROUP, self.channel_name)
        await self.channel_layer.group_add(user_group(self.agent.pk), self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if not hasattr(self, "watching"):
            return
        await self.channel_layer.group_discard(INBOX_GROUP, self.channel_name)
        await self.channel_layer.group_discard(user_group(self.agent.pk), self.channel_name)
        for ticket_id in self.watching:
            await self.channel_layer.group_discard(ticket_group(ticket_id), self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict) or not isinstance(content.get("ticket_id"), int):
            return
        kind, ticket_id = content.get("type"), content["ticket_id"]
        if kind == "watch":
            await self._watch(ticket_id)
        elif kind == "unwatch" and ticket_id in self.watching:
            self.watching.discard(ticket_id)
            await self.channel_layer.group_discard(ticket_group(ticket_id), self.channel_name)
        elif kind == "typing" and ticket_id in self.watching:
            typing = {"type": "ticket.typing", "ticket_id": ticket_id, "agent_id": self.agent.pk}
            await self.channel_layer.group_send(
                ticket_group(ticket_id),
                {
                    "type": "workspace.push",
                    "via": ticket_group(ticket_id),
                    "payload": {**typing, "agent_name": self.agent.name},
                },
            )

    async def _watch(self, ticket_id: int) -> None:
        try:
            await database_sync_to_async(access_ticket)(self.agent, ticket_id)
        except FrontdeskError:
            await self.send_json({"type": "error", "ticket_id": ticket_id, "code": "not_found"})
            return
        self.watching.add(ticket_id)
        await self.channel_layer.group_add(ticket_group(ticket_id), self.channel_name)
        await self.send_json({"type": "watching", "ticket_id": ticket_id})

    async def notification(self, message: dict[str, Any]) -> None:
        """A notification for this agent was written ({"type": "notification"} to their group)."""
        await self.send_json({"type": "notification"})

    async def workspace_push(self, message: dict[str, Any]) -> None:
        payload = message["payload"]
        if message["via"] == INBOX_GROUP and payload.get("ticket_id") in self.watching:
            return  # the same push comes through the ticket's group
        if payload["type"] == "ticket.typing" and payload["agent_id"] == self.agent.pk:
            return  # one's own typing, from another tab
        await self.send_json(payload)
