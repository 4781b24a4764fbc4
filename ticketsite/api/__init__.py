"""What every app's HTTP API shares: strict input fields and serializers, and the acting user of a request."""
