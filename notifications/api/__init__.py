"""HTTP API of the notifications app: the caller's in-app inbox and the admin-only notification rules (SPEC §8, §12).
Input serializers in `inputs`, output serializers in `outputs`, viewsets in `views`; routes in notifications/urls.py."""
