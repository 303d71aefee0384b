from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from frontdesk.core.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("login/", auth_views.LoginView.as_view(template_name="workspace/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("frontdesk.api.urls")),
    # DESIGN names the unversioned paths; they lead to the current version (decision 0007).
    path("api/openapi.json", RedirectView.as_view(url="/api/v1/openapi.json"), name="openapi-current"),
    path("api/docs", RedirectView.as_view(url="/api/v1/docs"), name="api-docs-current"),
    path("settings/", include("frontdesk.mail.urls")),
    path("settings/", include("frontdesk.sla.urls")),
    path("settings/", include("frontdesk.notifications.urls")),
    path("reports/", include("frontdesk.reports.urls")),
    path("", include("frontdesk.surveys.urls")),
    path("kb/", include("frontdesk.kb.urls")),
    path("", include("frontdesk.portal.urls")),
    path("", include("frontdesk.workspace.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
