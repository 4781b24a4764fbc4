from django.urls import path

from workspace.views import requests

urlpatterns = [
    path("requests/", requests.my_requests, name="my-requests"),
    path("requests/new/", requests.new_request, name="new-request"),
    path("requests/new/blank/", requests.new_request_form, name="new-request-blank"),
    path("requests/new/<int:template_id>/", requests.new_request_form, name="new-request-form"),
    path("tickets/<str:key>/edit/", requests.ticket_edit, name="ticket-edit"),
]
