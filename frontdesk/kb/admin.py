"""Read-mostly admin pages for the knowledge base: the editor (/kb/) and the services do the
writing, so that versions, rendering and the search index stay in step."""

from django.contrib import admin
from django.http import HttpRequest

from frontdesk.kb.models import ChangelogEntry, ChangelogSubscription, Search, Translation, Vote
from frontdesk.tickets.admin import ReadOnlyAdmin


@admin.register(Translation)
class TranslationAdmin(ReadOnlyAdmin[Translation]):
    list_display = ["title", "article", "locale", "status", "version", "source_version", "helpful", "unhelpful"]
    list_filter = ["status", "locale"]
    search_fields = ["title"]


@admin.register(Vote)
class VoteAdmin(ReadOnlyAdmin[Vote]):
    list_display = ["translation", "helpful", "comment", "created_at"]
    list_filter = ["helpful"]


@admin.register(Search)
class SearchAdmin(ReadOnlyAdmin[Search]):
    list_display = ["query", "locale", "source", "results", "clicked", "created_at"]
    list_filter = ["source", "locale"]
    search_fields = ["normalised"]


@admin.register(ChangelogEntry)
class ChangelogEntryAdmin(ReadOnlyAdmin[ChangelogEntry]):
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
