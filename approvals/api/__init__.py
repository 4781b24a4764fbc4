"""HTTP API of the approval engine (SPEC §10, §12): serializers in `serializers`, viewsets in `views`."""
