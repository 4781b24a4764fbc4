from django.urls import path

from workspace.views.placeholder import placeholder

urlpatterns = [
    path("queues/<slug:queue>/", placeholder, name="queue"),
]
