"""Read-only directory (SPEC §3): users, roles (Django auth groups) and the caller."""

from django.contrib.auth.models import Group, User
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ticketsite.api.views import actor


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "email", "first_name", "last_name", "is_active"]


class RoleSerializer(serializers.ModelSerializer):
    class Meta:
        model = Group
        fields = ["id", "name"]


class MeSerializer(serializers.ModelSerializer):
    roles = serializers.SerializerMethodField()
    permissions = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "email", "first_name", "last_name", "is_staff", "roles", "permissions"]

    def get_roles(self, user: User) -> list[str]:
        return sorted(user.groups.values_list("name", flat=True))

    def get_permissions(self, user: User) -> list[str]:
        return sorted(user.get_all_permissions())


class UserViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = User.objects.order_by("username")
    serializer_class = UserSerializer
    filterset_fields = ["is_active"]
    search_fields = ["username", "first_name", "last_name", "email"]
    ordering_fields = ["username", "id"]


class RoleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = Group.objects.order_by("name")
    serializer_class = RoleSerializer
    search_fields = ["name"]
    ordering_fields = ["name", "id"]


class MeView(APIView):
    @extend_schema(responses=MeSerializer)
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(actor(request)).data)
