from django.urls import path

from workspace.views import reports

urlpatterns = [
    path("reports/service-levels/", reports.sla_compliance_page, name="sla-compliance"),
]
