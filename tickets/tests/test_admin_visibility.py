"""The back office follows the visibility rule too (SPEC §7 "every other path"): a staff user who may not see a
restricted ticket finds neither it, nor its timeline entries, nor its attachments in the admin. Superusers and holders
of tickets.view_all_tickets see everything, deleted tickets included (the admin restores them)."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client

from permissions.tests.factories import GrantFactory
from tests.factories import AdminFactory, UserFactory
from tickets.models import Ticket, TicketStatus
from tickets.tests.factories import AttachmentFactory, CommentFactory, RestrictedTicketFactory, TicketFactory

pytestmark = pytest.mark.django_db

MARKER = "ADMIN-HIDDEN-7f3a91"
STAFF_PERMS = ["tickets.view_ticket", "tickets.change_ticket", "tickets.view_ticketnote", "tickets.view_attachment"]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def hidden():
    ticket = RestrictedTicketFactory(title=f"Title {MARKER}", status=TicketStatus.OPEN)
    CommentFactory(ticket=ticket, note=f"Comment {MARKER}")
    AttachmentFactory(ticket=ticket, file_name=f"{MARKER}.txt")
    return ticket


@pytest.fixture
def internal():
    ticket = TicketFactory(title="Internal printer ticket", status=TicketStatus.OPEN)
    CommentFactory(ticket=ticket, note="Internal comment")
    AttachmentFactory(ticket=ticket, file_name="internal.txt")
    return ticket


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


PAGES = ["/admin/tickets/ticket/", "/admin/tickets/ticketnote/", "/admin/tickets/attachment/"]


@pytest.mark.parametrize("page", PAGES)
def test_staff_without_sight_of_a_restricted_ticket_do_not_find_it_in_the_admin(page, hidden, internal):
    staff = login(UserFactory(is_staff=True, perms=STAFF_PERMS))

    listed = [staff.get(page, query) for query in ({}, {"deleted": "all"})]
    searched = [staff.get(page, {"q": term}) for term in (MARKER, hidden.key)]

    assert [response.status_code for response in listed + searched] == [200] * 4
    assert [MARKER in response.text for response in listed] == [False, False]
    assert [response.context["cl"].result_count for response in listed] == [1, 1]  # the internal ticket's row
    assert [response.context["cl"].result_count for response in searched] == [0, 0]


def test_staff_without_sight_cannot_open_change_or_act_on_a_restricted_ticket(hidden):
    staff = login(UserFactory(is_staff=True, perms=STAFF_PERMS))

    page = staff.get(f"/admin/tickets/ticket/{hidden.pk}/change/", follow=True)
    change = staff.post(f"/admin/tickets/ticket/{hidden.pk}/change/", {"title": "Mine now"})
    action = staff.post("/admin/tickets/ticket/", {"action": "transition_to_in_progress", ACTION_CHECKBOX_NAME: [hidden.pk]})

    assert MARKER not in page.text
    assert change.status_code == 302
    assert action.status_code in (200, 302)
    hidden.refresh_from_db()
    assert (hidden.title, hidden.status) == (f"Title {MARKER}", TicketStatus.OPEN)


@pytest.mark.parametrize("who", ["superuser", "view_all", "grantee"])
def test_those_who_see_the_ticket_find_it_in_the_admin(who, hidden):
    user = {
        "superuser": lambda: AdminFactory(),
        "view_all": lambda: UserFactory(is_staff=True, perms=[*STAFF_PERMS, "tickets.view_all_tickets"]),
        "grantee": lambda: GrantFactory(ticket=hidden, user=UserFactory(is_staff=True, perms=STAFF_PERMS)).user,
    }[who]()
    staff = login(user)

    for page in PAGES:
        assert MARKER in staff.get(page).text, page
    assert staff.get(f"/admin/tickets/ticket/{hidden.pk}/change/").status_code == 200


def test_deleted_tickets_stay_listed_and_restorable_for_those_who_see_them(hidden):
    boss = AdminFactory()
    hidden.soft_delete(actor=boss)
    admin = login(boss)

    listed = admin.get("/admin/tickets/ticket/", {"deleted": "yes"})
    restored = admin.post(
        "/admin/tickets/ticket/?deleted=yes", {"action": "restore_selected", ACTION_CHECKBOX_NAME: [hidden.pk]}
    )

    assert MARKER in listed.text
    assert restored.status_code == 302
    row = Ticket.objects.get(pk=hidden.pk)
    assert (row.is_deleted, row.deleted_by, row.updated_by) == (False, None, boss)
