from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from ticketsite import auth_api, directory, health
from ticketsite.schema_view import DocumentOncePerProcess

router = DefaultRouter()
router.register("users", directory.UserViewSet, basename="user")
router.register("roles", directory.RoleViewSet, basename="role")

api_v1: list[URLPattern | URLResolver] = [
    path("auth/token/", auth_api.TokenObtainView.as_view(), name="token-obtain"),
    path("auth/token/refresh/", auth_api.TokenRefreshThrottledView.as_view(), name="token-refresh"),
    path("auth/token/verify/", auth_api.TokenVerifyThrottledView.as_view(), name="token-verify"),
    path("auth/logout/", auth_api.LogoutView.as_view(), name="logout"),
    path("me/", directory.MeView.as_view(), name="me"),
    path("", include(router.urls)),
    path("", include("tickets.urls")),
    path("", include("approvals.urls")),
    path("", include("permissions.urls")),
    path("", include("notifications.urls")),
    path("", include("sla.urls")),
    path("", include("savedviews.urls")),
    path("", include("reports.urls")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path(
        "api/schema/",
        SpectacularAPIView.as_view(permission_classes=[], generator_class=DocumentOncePerProcess),
        name="schema",
    ),
    path(
        "api/docs/",
        # The split view serves Swagger UI's start-up script as a file (`?script`): the CSP allows no inline script.
        SpectacularSwaggerSplitView.as_view(
            # OPTIONS would render the browsable page without its template (a 500): the docs page is GET only.
            url_name="schema",
            permission_classes=[],
            http_method_names=["get", "head"],
        ),
        name="swagger-ui",
    ),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("", include("workspace.urls")),  # last: the workspace owns every other path
]

handler404 = "ticketsite.views.not_found"
handler500 = "ticketsite.views.server_error"
