"""The SLA settings pages, mounted at /settings/."""


app_name = "sla"
urlpatterns: list[object] = []
