from django.urls import path

from workspace.views.placeholder import placeholder

urlpatterns = [
    path("requests/", placeholder, name="my-requests"),
    path("requests/new/", placeholder, name="new-request"),
]
