"""Routes of the permissions API, included under /api/v1/."""

from rest_framework.routers import SimpleRouter

from permissions import api

TICKET = r"tickets/(?P<ticket_id>[^/.]+)"

router = SimpleRouter()
router.register(rf"{TICKET}/permissions", api.TicketGrantViewSet, basename="ticket-permission")
router.register(rf"{TICKET}/access-requests", api.TicketAccessRequestViewSet, basename="ticket-access-request")
router.register(r"access-requests", api.AccessRequestViewSet, basename="access-request")

urlpatterns = router.urls
