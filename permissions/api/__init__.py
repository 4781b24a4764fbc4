"""HTTP API of the permissions app: view grants and access requests (SPEC §7, §12). Input serializers in `inputs`,
output serializers in `outputs`, viewsets in `views`; routes in permissions/urls.py."""
