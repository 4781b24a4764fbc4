from django.urls import path

from workspace.views import approvals

urlpatterns = [
    path("approvals/", approvals.awaiting, name="approvals"),
    path("approvals/<int:slot_id>/decide/", approvals.decide, name="approval-decide"),
    path("proxies/", approvals.proxies, name="proxies"),
    path("proxies/<int:delegation_id>/end/", approvals.proxy_end, name="proxy-end"),
]
