"""Placeholder: filled in by the tickets work."""

urlpatterns: list = []
