"""Attachments in the back office: read-only rows, a staff-only download, delete and restore through the services.

The stored file is never linked by its media URL (media is not served); downloads go through `download_view`.
"""

from typing import Any

from django.contrib import admin
from django.http import FileResponse, Http404, HttpRequest
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from permissions.selectors import can_view_ticket
from tickets.admin.visibility import TicketRowsAdmin
from tickets.api.views.attachments import attachment_file_response
from tickets.models import Attachment
from tickets.services import attachments as services


@admin.register(Attachment)
class AttachmentAdmin(TicketRowsAdmin):
    list_display = ["file_name", "owner", "size", "content_type", "created_by", "created_at", "is_deleted", "download_link"]
    list_select_related = ["ticket", "template", "created_by"]
    list_filter = ["content_type"]
    search_fields = ["file_name", "sha256", "ticket__key"]
    # `file` stays out of the form: Django's widget would link the (unserved) media URL.
    fields = ("ticket", "note", "template", "file_name", "size", "content_type", "sha256", "download_link")
    readonly_fields = fields
    rows_without_ticket = True  # templates' attachments are readable by everyone

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Uploads go through the API, where the file is inspected; the admin deletes and restores.
        return False

    @admin.display(description="attached to")
    def owner(self, obj: Attachment) -> str:
        return str(obj.ticket if obj.ticket_id else obj.template)

    @admin.display(description="download")
    def download_link(self, obj: Attachment) -> str:
        if obj.pk is None or obj.is_deleted:
            return "—"
        url = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_download", args=[obj.pk])
        return format_html('<a href="{}">Download</a>', url)

    def get_urls(self) -> list[URLPattern]:
        download = path(
            "<int:object_id>/download/",
            self.admin_site.admin_view(self.download_view),
            name=f"{self.opts.app_label}_{self.opts.model_name}_download",
        )
        return [download, *super().get_urls()]

    def download_view(self, request: HttpRequest, object_id: int) -> FileResponse:
        """Staff only (admin_view); the attachment must be live, viewable in the admin, and on a ticket they can see."""
        attachment = Attachment.objects.select_related("ticket").filter(pk=object_id).first()
        if attachment is None or not self.has_view_permission(request, attachment):
            raise Http404
        if attachment.ticket is not None and not can_view_ticket(request.user, attachment.ticket):
            raise Http404
        return attachment_file_response(attachment)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        if not obj.is_deleted:
            services.attachment_delete(actor=request.user, attachment=obj)

    def restore_object(self, request: HttpRequest, obj: Any) -> None:
        services.attachment_restore(actor=request.user, attachment=obj)
