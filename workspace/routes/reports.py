from django.urls import path

from workspace.views import reports

urlpatterns = [
    path("reports/", reports.reports_page, name="reports"),
    path("reports/service-levels/", reports.sla_compliance_page, name="sla-compliance"),
    path("exports/tickets/", reports.ticket_export, name="ticket-export"),
    path("exports/<int:pk>/download/", reports.export_download, name="export-download"),
]
