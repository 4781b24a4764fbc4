from django.urls import path
from rest_framework.routers import SimpleRouter

from notifications.api.views import EmailPreferencesView, NotificationRuleViewSet, NotificationViewSet

router = SimpleRouter()
router.register("notifications", NotificationViewSet, basename="notification")
router.register("notification-rules", NotificationRuleViewSet, basename="notification-rule")

urlpatterns = [
    path("me/notification-preferences/", EmailPreferencesView.as_view(), name="notification-preferences"),
    *router.urls,
]
