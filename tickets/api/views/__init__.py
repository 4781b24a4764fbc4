"""Viewsets of the tickets API, one module per area; routes in tickets/urls.py."""
