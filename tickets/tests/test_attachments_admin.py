"""Attachments in the admin: listed read-only, downloadable by staff only, deleted and restored through the services."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from tests.factories import AdminFactory, UserFactory
from tickets.models import Attachment, EventType, TicketNote
from tickets.tests.factories import AttachmentFactory, RestrictedTicketFactory
from tickets.tests.test_attachments_api import body_of, download

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/tickets/attachment/"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def admin_client(client):
    client.force_login(AdminFactory())
    return client


def admin_download_url(attachment) -> str:
    return f"{CHANGELIST}{attachment.pk}/download/"


def test_the_changelist_and_change_page_show_attachments_without_media_links(admin_client):
    attachment = AttachmentFactory(file_name="contract.pdf")

    changelist = admin_client.get(CHANGELIST)
    change = admin_client.get(f"{CHANGELIST}{attachment.pk}/change/")

    assert changelist.status_code == 200
    assert "contract.pdf" in changelist.text
    assert admin_download_url(attachment) in changelist.text
    assert change.status_code == 200
    assert "/media/" not in change.text
    assert admin_client.get(f"{CHANGELIST}add/").status_code == 403


def test_staff_download_through_the_admin(admin_client):
    attachment = AttachmentFactory()

    response = admin_client.get(admin_download_url(attachment))

    assert response.status_code == 200
    assert body_of(response) == b"hello attachment\n"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_non_staff_cannot_use_the_admin_download(client):
    attachment = AttachmentFactory()
    client.force_login(attachment.created_by)

    response = client.get(admin_download_url(attachment))

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_staff_without_sight_of_a_restricted_ticket_cannot_download_its_files(client):
    attachment = AttachmentFactory(ticket=RestrictedTicketFactory())
    client.force_login(UserFactory(is_staff=True, perms=["tickets.view_attachment"]))

    assert client.get(admin_download_url(attachment)).status_code == 404


def test_deleted_attachment_is_restored_by_the_admin_action_and_downloadable_again(admin_client, client_for):
    attachment = AttachmentFactory()
    owner_api = client_for(attachment.created_by)
    assert owner_api.delete(f"/api/v1/attachments/{attachment.pk}/").status_code == 204
    assert download(owner_api, attachment.pk).status_code == 404
    assert admin_client.get(admin_download_url(attachment)).status_code == 404

    deleted_list = admin_client.get(CHANGELIST, {"deleted": "yes"})
    assert "hello.txt" in deleted_list.text
    response = admin_client.post(
        f"{CHANGELIST}?deleted=yes",
        {"action": "restore_selected", ACTION_CHECKBOX_NAME: [attachment.pk]},
        follow=True,
    )

    assert response.status_code == 200
    attachment.refresh_from_db()
    assert (attachment.is_deleted, attachment.deleted_by) == (False, None)
    assert body_of(download(owner_api, attachment.pk)) == b"hello attachment\n"
    events = TicketNote.objects.filter(ticket=attachment.ticket, system=True).values_list("event_type", flat=True)
    assert list(events) == [EventType.ATTACHMENT_REMOVE, EventType.ATTACHMENT_ADD]


def test_deleting_in_the_admin_goes_through_the_service(admin_client):
    attachment = AttachmentFactory()

    response = admin_client.post(f"{CHANGELIST}{attachment.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    attachment = Attachment.all_objects.get(pk=attachment.pk)
    assert attachment.is_deleted
    assert TicketNote.objects.filter(ticket=attachment.ticket, event_type=EventType.ATTACHMENT_REMOVE).exists()
