"""Routes of the permissions API, included under /api/v1/."""

from rest_framework.routers import SimpleRouter

from permissions.api import views

TICKET = r"tickets/(?P<ticket_id>[^/.]+)"

router = SimpleRouter()
router.register(rf"{TICKET}/permissions", views.TicketGrantViewSet, basename="ticket-permission")
router.register(rf"{TICKET}/access-requests", views.TicketAccessRequestViewSet, basename="ticket-access-request")
router.register(r"access-requests", views.AccessRequestViewSet, basename="access-request")

urlpatterns = router.urls
