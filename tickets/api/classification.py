"""Placeholder: filled in by the classification work."""

urlpatterns: list = []
