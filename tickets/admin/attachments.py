"""Placeholder: filled in by the attachments work."""
