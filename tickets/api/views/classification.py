"""Categories and labels: read by every user, written by holders of Django's model permissions (SPEC §4)."""

from typing import Any

from rest_framework import status, viewsets
from rest_framework.permissions import DjangoModelPermissions
from rest_framework.request import Request
from rest_framework.response import Response

from tickets.api.inputs import CategorySerializer, LabelSerializer
from tickets.models import Category, Label
from tickets.services import classification
from ticketsite.api.views import actor


class CategoryViewSet(viewsets.ModelViewSet):
    queryset = Category.objects.all()
    serializer_class = CategorySerializer
    # Reads for every authenticated user; writes need add/change/delete on the model.
    permission_classes = [DjangoModelPermissions]
    filterset_fields = ["parent"]
    search_fields = ["name", "description"]
    ordering_fields = ["name", "created_at", "id"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        category = classification.category_create(actor=actor(request), **serializer.validated_data)
        return Response(self.get_serializer(category).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        category = self.get_object()
        serializer = self.get_serializer(category, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        category = classification.category_update(category=category, actor=actor(request), data=serializer.validated_data)
        return Response(self.get_serializer(category).data)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        classification.category_delete(category=self.get_object(), actor=actor(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class LabelViewSet(viewsets.ModelViewSet):
    queryset = Label.objects.all()
    serializer_class = LabelSerializer
    # Reads for every authenticated user; writes need add/change/delete on the model.
    permission_classes = [DjangoModelPermissions]
    search_fields = ["name", "description"]
    ordering_fields = ["name", "created_at", "id"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        label = classification.label_create(actor=actor(request), **serializer.validated_data)
        return Response(self.get_serializer(label).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        label = self.get_object()
        serializer = self.get_serializer(label, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        label = classification.label_update(label=label, actor=actor(request), data=serializer.validated_data)
        return Response(self.get_serializer(label).data)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        classification.label_delete(label=self.get_object(), actor=actor(request))
        return Response(status=status.HTTP_204_NO_CONTENT)
