"""The workspace's pages (docs/workspace.md), one route module per area; all in the `workspace` namespace."""

from django.urls import include, path

app_name = "workspace"

urlpatterns = [
    path("", include("workspace.routes.account")),
    path("", include("workspace.routes.requests")),
    path("", include("workspace.routes.ticket")),
    path("", include("workspace.routes.approvals")),
    path("", include("workspace.routes.access")),
    path("", include("workspace.routes.queues")),
    path("", include("workspace.routes.notifications")),
    path("", include("workspace.routes.reports")),
    path("", include("workspace.routes.mail")),
]
