"""HTTP API of the approval engine (SPEC §10, §12): input serializers in `inputs`, output serializers in `outputs`,
viewsets in `views`; routes in approvals/urls.py."""
