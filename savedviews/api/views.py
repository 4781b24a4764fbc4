"""The saved views API (docs/views.md): /api/v1/views/. The list holds the caller's own views, those shared with one
of their roles and the built-in ones they may see; a view the caller may not see answers 404 (as a missing one), a
view they see but may not change answers 403 to a change."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_view
from drf_standardized_errors.openapi_serializers import ErrorResponse403Serializer
from rest_framework import status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from savedviews import selectors, services
from savedviews.api.inputs import SavedViewWriteSerializer
from savedviews.api.outputs import BuiltinViewResponseSerializer, SavedViewSerializer
from savedviews.models import SavedView
from ticketsite.api.views import actor

TAG = "saved views"


@extend_schema_view(
    list=extend_schema(tags=[TAG]),
    retrieve=extend_schema(tags=[TAG]),
    create=extend_schema(tags=[TAG], request=SavedViewWriteSerializer, responses={201: SavedViewSerializer}),
    partial_update=extend_schema(
        tags=[TAG],
        request=SavedViewWriteSerializer(partial=True),
        responses={200: SavedViewSerializer, 403: ErrorResponse403Serializer},
    ),
    destroy=extend_schema(
        tags=[TAG], responses={204: None, 403: ErrorResponse403Serializer, 409: BuiltinViewResponseSerializer}
    ),
)
class SavedViewViewSet(viewsets.GenericViewSet):
    """Saved ticket views: filters, sort and columns, personal or shared with roles, and the built-in queues."""

    serializer_class = SavedViewSerializer
    queryset = SavedView.objects.none()  # for the schema; requests read savedviews.selectors
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no caller
            return SavedView.objects.none()
        return selectors.view_list(user=self.request.user)

    def _respond(self, view: SavedView, code: int = status.HTTP_200_OK) -> Response:
        fresh = selectors.view_get(user=self.request.user, view_id=view.pk)  # roles prefetched, as in the list
        return Response(SavedViewSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(SavedViewSerializer(page, many=True, context=self.get_serializer_context()).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        view = selectors.view_get(user=request.user, view_id=pk)
        return Response(SavedViewSerializer(view, context=self.get_serializer_context()).data)

    def create(self, request: Request) -> Response:
        body = SavedViewWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        view = services.view_create(actor=actor(request), **body.validated_data)
        return self._respond(view, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str) -> Response:
        view = selectors.view_get(user=request.user, view_id=pk)
        body = SavedViewWriteSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        view = services.view_update(view=view, actor=actor(request), data=body.validated_data)
        return self._respond(view)

    def destroy(self, request: Request, pk: str) -> Response:
        services.view_delete(view=selectors.view_get(user=request.user, view_id=pk), actor=actor(request))
        return Response(status=status.HTTP_204_NO_CONTENT)
