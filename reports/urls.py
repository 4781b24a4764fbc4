from django.urls import path

from reports import api

urlpatterns = [
    path("reports/backlog/", api.BacklogView.as_view(), name="report-backlog"),
    path("reports/created-resolved/", api.ThroughputView.as_view(), name="report-created-resolved"),
    path("reports/time-to-resolve/", api.TimeToResolveView.as_view(), name="report-time-to-resolve"),
    path("reports/approval-cycle/", api.ApprovalCycleView.as_view(), name="report-approval-cycle"),
    path("reports/approver-workload/", api.ApproverWorkloadView.as_view(), name="report-approver-workload"),
    path("exports/tickets/", api.TicketExportView.as_view(), name="export-tickets"),
    path("exports/<str:pk>/", api.ExportDetailView.as_view(), name="export-detail"),
    path("exports/<str:pk>/download/", api.ExportDownloadView.as_view(), name="export-download"),
]
