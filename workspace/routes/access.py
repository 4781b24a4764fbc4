from django.urls import path

from workspace.views import access

urlpatterns = [
    path("access-requests/", access.access_requests, name="access-requests"),
    path("access-requests/<int:request_id>/decide/", access.access_request_decide, name="access-request-decide"),
    path("tickets/<str:key>/grants/", access.grant_add, name="grant-add"),
    path("tickets/<str:key>/grants/<int:grant_id>/revoke/", access.grant_revoke, name="grant-revoke"),
    path("tickets/<str:key>/request-access/", access.request_access, name="request-access"),
]
