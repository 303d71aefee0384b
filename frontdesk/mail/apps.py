from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "frontdesk.mail"
    label = "mail"
    verbose_name = "E-mail"

    def ready(self) -> None:
        from frontdesk.core.events import subscribe
        from frontdesk.mail.services import outbound_queue_reply
        from frontdesk.tickets.events import MessageAdded

        subscribe(MessageAdded, outbound_queue_reply, atomic=False)
