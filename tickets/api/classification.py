"""Categories and labels: read by every user, written by holders of Django's model permissions (SPEC §4)."""

from typing import Any

from rest_framework import serializers, status, viewsets
from rest_framework.permissions import DjangoModelPermissions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from tickets.models import Category, Label
from tickets.services import classification
from ticketsite.limits import DESCRIPTION_MAX_LENGTH


class CategorySerializer(serializers.ModelSerializer):
    parent = serializers.PrimaryKeyRelatedField(  # type: ignore[assignment]
        queryset=Category.objects.all(), allow_null=True, required=False
    )

    class Meta:
        model = Category
        fields = ["id", "name", "description", "parent", "created_by", "created_at", "updated_by", "updated_at"]
        read_only_fields = ["created_by", "created_at", "updated_by", "updated_at"]
        extra_kwargs = {"description": {"max_length": DESCRIPTION_MAX_LENGTH}}


class LabelSerializer(serializers.ModelSerializer):
    color = serializers.RegexField(r"^#[0-9A-Fa-f]{6}$", required=False, help_text="Hex colour, e.g. #1f77b4")

    class Meta:
        model = Label
        fields = ["id", "name", "color", "description", "created_by", "created_at", "updated_by", "updated_at"]
        read_only_fields = ["created_by", "created_at", "updated_by", "updated_at"]
        extra_kwargs = {"description": {"max_length": DESCRIPTION_MAX_LENGTH}}


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
        category = classification.category_create(actor=request.user, **serializer.validated_data)
        return Response(self.get_serializer(category).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        category = self.get_object()
        serializer = self.get_serializer(category, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        category = classification.category_update(category=category, actor=request.user, data=serializer.validated_data)
        return Response(self.get_serializer(category).data)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        classification.category_delete(category=self.get_object(), actor=request.user)
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
        label = classification.label_create(actor=request.user, **serializer.validated_data)
        return Response(self.get_serializer(label).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        label = self.get_object()
        serializer = self.get_serializer(label, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        label = classification.label_update(label=label, actor=request.user, data=serializer.validated_data)
        return Response(self.get_serializer(label).data)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        classification.label_delete(label=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


router = SimpleRouter()
router.register("categories", CategoryViewSet, basename="category")
router.register("labels", LabelViewSet, basename="label")
urlpatterns = router.urls
