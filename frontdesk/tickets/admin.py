from typing import TypeVar

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from frontdesk.tickets.models import Tag, Ticket, TicketEvent

M = TypeVar("M", bound=Model)


class ReadOnlyAdmin(admin.ModelAdmin[M]):
    """Tickets change only through the services (audit trail); the admin shows them read-only."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin[Ticket]):
    list_display = ["id", "subject", "status", "priority", "team", "assignee", "last_activity_at"]
    list_filter = ["status", "priority", "channel"]
    search_fields = ["subject"]
    show_full_result_count = False  # no COUNT(*) over every ticket
    list_select_related = ["team", "assignee"]


@admin.register(TicketEvent)
class TicketEventAdmin(ReadOnlyAdmin[TicketEvent]):
    list_display = ["ticket", "kind", "field", "old_value", "new_value", "actor", "created_at"]
    show_full_result_count = False
    list_select_related = ["actor"]


admin.site.register(Tag)
