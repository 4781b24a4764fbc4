from django.urls import path

from workspace.views.placeholder import placeholder

urlpatterns = [
    path("tickets/<str:key>/", placeholder, name="ticket"),
]
