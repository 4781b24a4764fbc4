from django.urls import path

from workspace.views import queues

urlpatterns = [
    path("queues/<slug:queue>/", queues.queue_page, name="queue"),
    path("queues/<slug:queue>/bulk/", queues.queue_bulk, name="queue-bulk"),
]
