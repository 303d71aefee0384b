"""The webhook settings pages, mounted at /settings/."""


app_name = "notifications"
urlpatterns: list[object] = []
