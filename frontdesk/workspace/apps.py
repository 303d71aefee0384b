from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    name = "frontdesk.workspace"
    label = "workspace"
