from django.urls import URLPattern, URLResolver, path
from rest_framework.routers import SimpleRouter

from approvals.api import views

router = SimpleRouter()
router.register("approval-templates", views.ApprovalTemplateViewSet, basename="approval-template")
router.register("approvals", views.ApprovalSlotViewSet, basename="approval")
router.register("delegations", views.DelegationViewSet, basename="delegation")

urlpatterns: list[URLPattern | URLResolver] = [
    path("tickets/<str:ticket_id>/approvals/", views.TicketApprovalsView.as_view(), name="ticket-approvals"),
    *router.urls,
]
