"""What every view shares."""

from django.contrib.auth.models import User
from rest_framework.exceptions import NotAuthenticated
from rest_framework.request import Request


def actor(request: Request) -> User:
    """The signed-in user acting through this request, as the services take it. Views that write require authentication
    (the default permission class), so an anonymous caller here is refused like one at the gate."""
    if not isinstance(request.user, User):
        raise NotAuthenticated()
    return request.user
