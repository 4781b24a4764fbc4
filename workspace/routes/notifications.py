from django.urls import path

from workspace.views import notifications

urlpatterns = [
    path("notifications/", notifications.inbox, name="notifications"),
    path("notifications/preferences/", notifications.preferences, name="notification-preferences"),
    path("notifications/read-all/", notifications.read_all, name="notifications-read-all"),
    path("notifications/<int:notification_id>/read/", notifications.read, name="notification-read"),
]
