from django.contrib import admin

from frontdesk.routing.models import Assignment, RoutingProfile, Skill, WorkInterval


@admin.register(RoutingProfile)
class RoutingProfileAdmin(admin.ModelAdmin[RoutingProfile]):
    list_display = ["agent", "state", "state_since", "capacity", "auto_assign"]
    list_filter = ["state", "auto_assign"]


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin[Skill]):
    search_fields = ["name"]


@admin.register(WorkInterval)
class WorkIntervalAdmin(admin.ModelAdmin[WorkInterval]):
    list_display = ["agent", "kind", "started_at", "ended_at"]
    list_filter = ["kind"]

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin[Assignment]):
    list_display = ["ticket", "rule", "agent", "previous", "created_at"]
    list_filter = ["rule"]

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False
