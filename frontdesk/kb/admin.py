"""Read-mostly admin pages for the knowledge base: the editor (/kb/) and the services do the
writing, so that versions, rendering and the search index stay in step."""

from django.contrib import admin
from django.http import HttpRequest

from frontdesk.kb.models import ChangelogEntry, ChangelogSubscription, Search, Translation, Vote


class _ReadOnly(admin.ModelAdmin):  # a base for several models
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Translation)
class TranslationAdmin(_ReadOnly):
    list_display = ["title", "article", "locale", "status", "version", "source_version", "helpful", "unhelpful"]
    list_filter = ["status", "locale"]
    search_fields = ["title"]


@admin.register(Vote)
class VoteAdmin(_ReadOnly):
    list_display = ["translation", "helpful", "comment", "created_at"]
    list_filter = ["helpful"]


@admin.register(Search)
class SearchAdmin(_ReadOnly):
    list_display = ["query", "locale", "source", "results", "clicked", "created_at"]
    list_filter = ["source", "locale"]
    search_fields = ["normalised"]


@admin.register(ChangelogEntry)
class ChangelogEntryAdmin(_ReadOnly):
    list_display = ["title", "locale", "published_on", "is_published", "announced_at"]
    list_filter = ["is_published", "locale"]


@admin.register(ChangelogSubscription)
class ChangelogSubscriptionAdmin(admin.ModelAdmin[ChangelogSubscription]):
    """Addresses may be removed here on request (erasure); subscribing goes through double opt-in."""

    list_display = ["email", "locale", "confirmed_at", "unsubscribed_at", "created_at"]
    list_filter = ["locale"]
    search_fields = ["email"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
