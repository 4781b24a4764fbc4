from django.urls import path

from workspace.views.placeholder import placeholder

urlpatterns = [
    path("notifications/", placeholder, name="notifications"),
]
