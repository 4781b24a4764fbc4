from django.urls import path
from rest_framework.routers import SimpleRouter

from sla.api import reports, views

router = SimpleRouter()
router.register("business-calendars", views.BusinessCalendarViewSet, basename="business-calendar")
router.register("sla-policies", views.SlaPolicyViewSet, basename="sla-policy")

urlpatterns = [*router.urls, path("sla/compliance/", reports.ComplianceReportView.as_view(), name="sla-compliance")]
