from django.contrib import admin
from django.http import HttpRequest

from frontdesk.accounts.models import ApiToken, Contact, ContactIdentity, Organisation, Team, User


@admin.register(User)
class UserAdmin(admin.ModelAdmin[User]):
    """Agents are created with `frontdesk agent create` or the API (a service sets the password)."""

    list_display = ["name", "email", "role", "is_active", "created_at"]
    list_filter = ["role", "is_active"]
    search_fields = ["name", "email"]
    fields = ["name", "email", "role", "language", "is_active"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin[Team]):
    list_display = ["name", "lead"]
    filter_horizontal = ["members"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin[Organisation]):
    list_display = ["name", "domain", "region", "owner"]
    search_fields = ["name", "domain"]


class IdentityInline(admin.TabularInline[ContactIdentity, Contact]):
    model = ContactIdentity
    extra = 0


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin[Contact]):
    list_display = ["name", "organisation", "language", "merged_into"]
    search_fields = ["name", "identities__value"]
    raw_id_fields = ["organisation", "merged_into"]
    inlines = [IdentityInline]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    list_display = ["prefix", "user", "name", "created_at", "last_used_at"]
    fields = ["prefix", "user", "name", "created_at", "last_used_at"]
    readonly_fields = ["prefix", "user", "name", "created_at", "last_used_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
