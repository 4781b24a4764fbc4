from django.urls import include, path

urlpatterns = [
    path("", include("tickets.api.classification")),
    path("", include("tickets.api.tickets")),
    path("", include("tickets.api.attachments")),
]
