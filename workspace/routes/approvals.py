from django.urls import path

from workspace.views.placeholder import placeholder

urlpatterns = [
    path("approvals/", placeholder, name="approvals"),
    path("proxies/", placeholder, name="proxies"),
]
