"""The product's URLs plus the benchmark's floor endpoint (only under bench/settings.py with BENCH=1)."""

from django.urls import path

from bench import floor
from ticketsite.urls import urlpatterns as site_urlpatterns

urlpatterns = [*site_urlpatterns, path("bench/floor/tickets/", floor.ticket_page, name="bench-floor-tickets")]
handler404 = "ticketsite.views.not_found"
handler500 = "ticketsite.views.server_error"
