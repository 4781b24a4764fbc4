"""Signal receivers of this app, connected when the app is ready."""
