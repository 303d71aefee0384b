"""The public help centre (/help/…) and the customer portal (/portal/…), included at the site root."""

from django.urls import path

from frontdesk.portal import views

app_name = "portal"
urlpatterns = [
    # The help centre, in the URL's language.
    path("help/", views.help_root, name="help_root"),
    # Addresses without a language, named in e-mails and in articles' Markdown (kb).
    path("help/changelog/", views.changelog_root, name="changelog_root"),
    path("help/changelog/confirm/<str:token>/", views.changelog_confirm, name="changelog_confirm"),
    path("help/changelog/unsubscribe/<str:token>/", views.changelog_unsubscribe, name="changelog_unsubscribe"),
    path("help/files/<int:file_id>/<str:name>", views.help_file, name="help_file"),
    path("help/logo", views.help_logo, name="help_logo"),
    path("help/<str:locale>/", views.help_home, name="help_home"),
    path("help/<str:locale>/search/", views.help_search, name="help_search"),
    path("help/<str:locale>/categories/<slug:slug>/", views.help_category, name="help_category"),
    path("help/<str:locale>/sections/<slug:slug>/", views.help_section, name="help_section"),
    path("help/<str:locale>/articles/<int:article_id>/", views.help_article, name="help_article_bare"),
    path("help/<str:locale>/articles/<int:article_id>/vote/", views.help_article_vote, name="help_article_vote"),
    path("help/<str:locale>/articles/<int:article_id>-<str:slug>/", views.help_article, name="help_article"),
    path("help/<str:locale>/changelog/", views.changelog, name="changelog"),
    path("help/<str:locale>/changelog/feed.atom", views.changelog_feed, {"kind": "atom"}, name="changelog_atom"),
    path("help/<str:locale>/changelog/feed.rss", views.changelog_feed, {"kind": "rss"}, name="changelog_rss"),
    path("help/<str:locale>/changelog/subscribe/", views.changelog_subscribe, name="changelog_subscribe"),
    # The customer portal.
    path("portal/", views.tickets, name="tickets"),
    path("portal/sign-in/", views.sign_in_request, name="sign_in"),
    path("portal/sign-in/<str:token>/", views.sign_in_link, name="sign_in_link"),
    path("portal/sign-out/", views.sign_out_view, name="sign_out"),
    path("portal/tickets/new/", views.ticket_new, name="ticket_new"),
    path("portal/tickets/new/suggestions/", views.ticket_suggest, name="ticket_suggest"),
    path("portal/suggestions/<int:article_id>/<str:locale>/", views.suggestion_open, name="suggestion_open"),
    path("portal/tickets/<int:ticket_id>/", views.ticket, name="ticket"),
    path("portal/tickets/<int:ticket_id>/attachments/<int:attachment_id>/", views.attachment, name="attachment"),
]
