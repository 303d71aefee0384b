"""The e-mail channel's admin pages, mounted at /settings/."""

from django.urls import path

from frontdesk.mail import views

app_name = "mail"
urlpatterns = [
    path("mailboxes/", views.mailboxes, name="mailboxes"),
    path("mailboxes/new/", views.mailbox_create, name="mailbox_create"),
    path("mailboxes/new/check-imap/", views.mailbox_check, {"kind": "imap"}, name="check_imap"),
    path("mailboxes/new/check-smtp/", views.mailbox_check, {"kind": "smtp"}, name="check_smtp"),
    path("mailboxes/<int:mailbox_id>/", views.mailbox_edit, name="mailbox_edit"),
    path("mailboxes/<int:mailbox_id>/secret/", views.mailbox_new_secret, name="mailbox_secret"),
    path("mailboxes/<int:mailbox_id>/check-imap/", views.mailbox_check, {"kind": "imap"}, name="mailbox_check_imap"),
    path("mailboxes/<int:mailbox_id>/check-smtp/", views.mailbox_check, {"kind": "smtp"}, name="mailbox_check_smtp"),
    path("failed-emails/", views.failed_email_list, name="failed_emails"),
    path("failed-emails/<int:inbound_id>/retry/", views.failed_email_retry, name="failed_email_retry"),
    path("failed-emails/<int:inbound_id>/raw/", views.failed_email_raw, name="failed_email_raw"),
]
