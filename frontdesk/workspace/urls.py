from django.urls import path

from frontdesk.workspace import views

app_name = "workspace"
urlpatterns = [
    path("", views.home, name="inbox"),
    path("nav/counts/", views.nav_counts, name="nav_counts"),
    path("views/<slug:slug>/", views.inbox, name="view"),
    path("tickets/<int:ticket_id>/", views.ticket_detail, name="ticket"),
    path("tickets/<int:ticket_id>/live/", views.ticket_live, name="ticket_live"),
    path("tickets/<int:ticket_id>/reply/", views.ticket_reply, name="ticket_reply"),
    path("tickets/<int:ticket_id>/note/", views.ticket_note, name="ticket_note"),
    path("tickets/<int:ticket_id>/properties/", views.ticket_properties, name="ticket_properties"),
    path("tickets/<int:ticket_id>/escalate/", views.ticket_escalate, name="ticket_escalate"),
    path("tickets/<int:ticket_id>/resolve-escalation/", views.ticket_resolve_escalation, name="ticket_resolve"),
    path("tickets/<int:ticket_id>/escalate-to-team/", views.ticket_escalate_to_team, name="ticket_escalate_team"),
    path("attachments/<int:attachment_id>/", views.attachment_download, name="attachment"),
    path("contacts/<int:contact_id>/", views.contact_detail, name="contact"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/bell/", views.notification_bell, name="notification_bell"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
    path("notifications/<int:notification_id>/", views.notification_open, name="notification_open"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("agents/", views.agents, name="agents"),
    path("agents/<int:agent_id>/", views.agent_card, name="agent"),
    path("agents/<int:agent_id>/shift/", views.agent_shift, name="agent_shift"),
    path("agents/<int:agent_id>/shift/<slug:action>/", views.agent_shift_change, name="agent_shift_change"),
]
