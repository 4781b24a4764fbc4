"""Attachments API (SPEC §9, §12): multipart upload on tickets and templates, detail, soft delete, guarded download.

Every path resolves the ticket (or the attachment) through the caller's visible set first: an attachment of a ticket
the caller cannot see is 404, and its upload body is never parsed.
"""

import re
import unicodedata
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler
from django.http import FileResponse, HttpRequest
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from permissions.api.views import TicketScopedViewMixin
from tickets.api.inputs import TemplateAttachmentUploadSerializer, TicketAttachmentUploadSerializer
from tickets.api.outputs import AttachmentErrorResponseSerializer, AttachmentSerializer
from tickets.models import Attachment, TicketTemplate
from tickets.selectors_attachments import (
    get_template_for_attachments,
    get_visible_attachment,
    template_attachments,
    ticket_attachments,
)
from tickets.services import attachments as services
from ticketsite.api.views import actor
from ticketsite.errors import PayloadTooLarge

# Room for the multipart framing and the small `note` field on top of the file itself.
_MULTIPART_OVERHEAD = 64 * 1024


# --- upload streaming limit ------------------------------------------------------------------------------------------


class AttachmentSizeLimitUploadHandler(FileUploadHandler):
    """Refuses an upload (413) as soon as it passes ATTACHMENT_MAX_SIZE, instead of spooling all of it to disk first.

    The service checks the size again: this handler only saves bandwidth and disk.
    """

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.max_size: int = settings.ATTACHMENT_MAX_SIZE
        self.received = 0

    def handle_raw_input(self, input_data: Any, META: Any, content_length: int, boundary: Any, encoding: Any = None) -> None:
        if content_length and content_length > self.max_size + settings.DATA_UPLOAD_MAX_MEMORY_SIZE + _MULTIPART_OVERHEAD:
            raise PayloadTooLarge(f"The file is larger than the limit of {self.max_size} bytes.")

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.max_size:
            raise PayloadTooLarge(f"The file is larger than the limit of {self.max_size} bytes.")
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


class _UploadViewMixin:
    def initialize_request(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Request:
        # Before authentication: session auth's CSRF check may already read the multipart body.
        if request.method == "POST":
            request.upload_handlers.insert(0, AttachmentSizeLimitUploadHandler(request))
        return super().initialize_request(request, *args, **kwargs)  # type: ignore[misc]


# --- download --------------------------------------------------------------------------------------------------------


def content_disposition(file_name: str) -> str:
    """RFC 6266: an ASCII fallback `filename` for old clients and the exact name as RFC 8187 `filename*`."""
    stem, ext = services.split_extension(file_name)
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode("ascii")
    ascii_stem = re.sub(r"[^A-Za-z0-9._()+ -]", "_", ascii_stem).strip(" ._") or services.DEFAULT_FILE_NAME
    fallback = f"{ascii_stem}{ext}"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(file_name, safe='')}"


def attachment_file_response(attachment: Attachment) -> FileResponse:
    content_type = attachment.content_type
    if content_type.startswith("text/"):
        content_type = f"{content_type}; charset=utf-8"  # the service accepts text only as valid UTF-8
    response = FileResponse(services.open_attachment_file(attachment), content_type=content_type, as_attachment=True)
    response["Content-Disposition"] = content_disposition(attachment.file_name)
    response["X-Content-Type-Options"] = "nosniff"
    # Should a browser render it anyway: no scripts, no requests, no origin.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


# --- viewsets --------------------------------------------------------------------------------------------------------


_TICKET_CONFLICT = OpenApiResponse(
    AttachmentErrorResponseSerializer,
    description="The ticket is final (code ticket_final), or a quota is reached: the ticket's file count "
    "(too_many_attachments), the ticket's bytes (ticket_quota_exceeded) or the uploader's bytes (user_quota_exceeded)",
)
_USER_QUOTA = OpenApiResponse(
    AttachmentErrorResponseSerializer, description="The uploader's quota of bytes is reached (code user_quota_exceeded)"
)
_TOO_LARGE = OpenApiResponse(
    AttachmentErrorResponseSerializer,
    description="Larger than ATTACHMENT_MAX_SIZE (code payload_too_large), or a ZIP container with more than "
    "ATTACHMENT_ZIP_MAX_ENTRIES entries (code too_many_zip_entries)",
)


@extend_schema_view(
    list=extend_schema(
        summary="Attachments of a ticket (its comments' included), oldest first",
        parameters=[OpenApiParameter("ticket_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
    ),
    create=extend_schema(
        summary="Attach a file to a ticket (optionally to one of its comments)",
        parameters=[OpenApiParameter("ticket_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        request={"multipart/form-data": TicketAttachmentUploadSerializer},
        responses={
            201: AttachmentSerializer,
            403: OpenApiResponse(AttachmentErrorResponseSerializer, description="Only a comment's author attaches files to it"),
            409: _TICKET_CONFLICT,
            413: _TOO_LARGE,
        },
    ),
)
class TicketAttachmentViewSet(TicketScopedViewMixin, _UploadViewMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    queryset = Attachment.objects.none()  # the real one is scoped to the caller's ticket in get_queryset
    serializer_class = AttachmentSerializer
    parser_classes = [MultiPartParser]
    filter_backends: list[Any] = []
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self) -> Any:
        return ticket_attachments(ticket=self.get_ticket())

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        ticket = self.get_ticket()
        serializer = TicketAttachmentUploadSerializer(data=request.data, context={"ticket": ticket})
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        attachment = services.attachment_create(
            actor=actor(request),
            upload=upload,
            ticket=ticket,
            note=serializer.validated_data.get("note"),
            claimed_type=upload.content_type,
        )
        return Response(self.get_serializer(attachment).data, status=status.HTTP_201_CREATED)


class CanUploadToTemplate(BasePermission):
    """Coarse gate before the body is read: reads for everyone, uploads for template editors (the service re-checks)."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        return request.method in SAFE_METHODS or services.can_upload_to_template(request.user)


@extend_schema_view(
    list=extend_schema(
        summary="Attachments of a ticket template, oldest first",
        parameters=[OpenApiParameter("template_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
    ),
    create=extend_schema(
        summary="Attach a file to a ticket template (tickets.change_tickettemplate)",
        parameters=[OpenApiParameter("template_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        request={"multipart/form-data": TemplateAttachmentUploadSerializer},
        responses={201: AttachmentSerializer, 409: _USER_QUOTA, 413: _TOO_LARGE},
    ),
)
class TemplateAttachmentViewSet(_UploadViewMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    queryset = Attachment.objects.none()
    serializer_class = AttachmentSerializer
    parser_classes = [MultiPartParser]
    permission_classes = [*APIView.permission_classes, CanUploadToTemplate]
    filter_backends: list[Any] = []
    http_method_names = ["get", "post", "head", "options"]

    def get_template(self) -> TicketTemplate:
        if not hasattr(self, "_template"):
            self._template = get_template_for_attachments(self.request.user, self.kwargs["template_id"])
        return self._template

    def get_queryset(self) -> Any:
        return template_attachments(template=self.get_template())

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        template = self.get_template()
        serializer = TemplateAttachmentUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        attachment = services.attachment_create(
            actor=actor(request), upload=upload, template=template, claimed_type=upload.content_type
        )
        return Response(self.get_serializer(attachment).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    retrieve=extend_schema(summary="An attachment (of a ticket the caller can see, or of a template)"),
    destroy=extend_schema(
        summary="Delete (soft) an attachment: its uploader, or staff with tickets.delete_attachment",
        responses={
            204: None,
            403: OpenApiResponse(description="Not the uploader"),
            409: OpenApiResponse(description="Final ticket"),
        },
    ),
)
class AttachmentViewSet(mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    queryset = Attachment.objects.none()
    serializer_class = AttachmentSerializer
    filter_backends: list[Any] = []
    http_method_names = ["get", "delete", "head", "options"]

    def get_object(self) -> Attachment:
        return get_visible_attachment(self.request.user, self.kwargs["pk"])

    def perform_destroy(self, instance: Attachment) -> None:
        services.attachment_delete(actor=actor(self.request), attachment=instance)

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # A download answers with the file's own type whatever the Accept header says (errors stay JSON).
        return super().perform_content_negotiation(request, force=force or self.action == "download")

    @extend_schema(
        summary="Download the file (Content-Disposition: attachment)",
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The bytes, served with the detected content type"
            ),
        },
    )
    @action(detail=True, methods=["get"])
    def download(self, request: Request, pk: str | None = None) -> FileResponse:
        return attachment_file_response(self.get_object())
