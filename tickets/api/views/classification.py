"""Categories and labels: read by every user, written by holders of Django's model permissions (SPEC §4)."""

from collections.abc import Callable
from typing import Any

from rest_framework import status, viewsets
from rest_framework.permissions import DjangoModelPermissions
from rest_framework.request import Request
from rest_framework.response import Response

from tickets.api.inputs import CategorySerializer, LabelSerializer
from tickets.models import Category, Label
from tickets.services import classification
from ticketsite.api.views import actor


# The same HTTP for both kinds: each subclass names its services and the keyword they take the row by. (A comment, not
# a docstring: drf-spectacular would publish a docstring as every operation's description.)
class _ClassificationViewSet(viewsets.ModelViewSet):
    # Reads for every authenticated user; writes need add/change/delete on the model.
    permission_classes = [DjangoModelPermissions]
    search_fields = ["name", "description"]
    ordering_fields = ["name", "created_at", "id"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    row_keyword: str
    create_service: Callable[..., Any]
    update_service: Callable[..., Any]
    delete_service: Callable[..., None]

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        row = type(self).create_service(actor=actor(request), **serializer.validated_data)
        return Response(self.get_serializer(row).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        row = self.get_object()
        serializer = self.get_serializer(row, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        row = type(self).update_service(**{self.row_keyword: row}, actor=actor(request), data=serializer.validated_data)
        return Response(self.get_serializer(row).data)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        type(self).delete_service(**{self.row_keyword: self.get_object()}, actor=actor(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class CategoryViewSet(_ClassificationViewSet):
    queryset = Category.objects.all()
    serializer_class = CategorySerializer
    filterset_fields = ["parent"]
    row_keyword = "category"
    create_service = staticmethod(classification.category_create)
    update_service = staticmethod(classification.category_update)
    delete_service = staticmethod(classification.category_delete)


class LabelViewSet(_ClassificationViewSet):
    queryset = Label.objects.all()
    serializer_class = LabelSerializer
    row_keyword = "label"
    create_service = staticmethod(classification.label_create)
    update_service = staticmethod(classification.label_update)
    delete_service = staticmethod(classification.label_delete)
