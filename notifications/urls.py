from rest_framework.routers import SimpleRouter

from notifications.api.views import NotificationRuleViewSet, NotificationViewSet

router = SimpleRouter()
router.register("notifications", NotificationViewSet, basename="notification")
router.register("notification-rules", NotificationRuleViewSet, basename="notification-rule")

urlpatterns = router.urls
