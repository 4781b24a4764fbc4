"""The back office for grants and access requests: same services, same rules, same timeline events as the API."""

import pytest
from django.test import Client

from permissions.admin import ADMIN_DENY_COMMENT
from permissions.models import AccessRequest, AccessRequestStatus, TicketViewPermission
from permissions.tests.factories import AccessRequestFactory, GrantFactory
from tests.factories import AdminFactory, RoleFactory, UserFactory
from tickets.models import EventType, TicketNote
from tickets.tests.factories import RestrictedTicketFactory

pytestmark = pytest.mark.django_db

MARKER = "ADMIN-SECRET-TITLE-71c3"
GRANTS = "/admin/permissions/ticketviewpermission/"
REQUESTS = "/admin/permissions/accessrequest/"


@pytest.fixture
def admin_client_() -> Client:
    client = Client()
    client.force_login(AdminFactory())
    return client


@pytest.fixture
def ticket():
    return RestrictedTicketFactory(title=f"Title {MARKER}")


def staff_client(*perms: str) -> Client:
    client = Client()
    client.force_login(UserFactory(is_staff=True, perms=list(perms)))
    return client


def events(ticket, event_type) -> int:
    return TicketNote.objects.filter(ticket=ticket, event_type=event_type).count()


def grant_form(ticket_key: str, username: str = "", role_name: str = "") -> dict[str, str]:
    """The grant form as the browser posts it: a ticket key and a username or a role name, as typed."""
    return {"ticket_key": ticket_key, "username": username, "role_name": role_name}


def form_errors(response) -> dict[str, list[str]]:
    return {field or "__all__": list(errors) for field, errors in response.context["adminform"].form.errors.items()}


def test_a_grant_by_ticket_key_and_username_goes_through_the_service(admin_client_, ticket):
    grantee = UserFactory(username="erin")

    response = admin_client_.post(f"{GRANTS}add/", grant_form(ticket.key, "erin"), follow=True)

    assert response.redirect_chain == [(GRANTS, 302)]
    grant = TicketViewPermission.objects.get(ticket=ticket, user=grantee)
    assert grant.created_by.is_superuser
    assert events(ticket, EventType.PERMISSION_GRANTED) == 1
    assert f"{ticket.key} → erin" in response.text  # the success message names the grant


def test_a_grant_by_ticket_key_and_role_name_ignores_case(admin_client_, ticket):
    role = RoleFactory(name="Security")

    response = admin_client_.post(f"{GRANTS}add/", grant_form(ticket.key.lower(), role_name="security"))

    assert response.status_code == 302
    assert TicketViewPermission.objects.get(ticket=ticket).role == role
    assert events(ticket, EventType.PERMISSION_GRANTED) == 1


@pytest.mark.parametrize(
    ("form", "errors"),
    [
        (grant_form("NOPE-1", "erin"), {"ticket_key": ["No ticket you can see has the key NOPE-1."]}),
        (grant_form("{key}", "nobody"), {"username": ["No user is named nobody."]}),
        (grant_form("{key}", role_name="nobody"), {"role_name": ["No role is named nobody."]}),
        (grant_form("{key}"), {"__all__": ["Name exactly one of user or role."]}),
        (grant_form("{key}", "erin", "Security"), {"__all__": ["Name exactly one of user or role."]}),
        (grant_form("", "erin"), {"ticket_key": ["This field is required."]}),
    ],
    ids=["unknown-key", "unknown-user", "unknown-role", "neither", "both", "no-key"],
)
def test_a_wrong_key_or_name_is_a_form_error_and_writes_nothing(admin_client_, ticket, form, errors):
    UserFactory(username="erin")
    RoleFactory(name="Security")
    form = {**form, "ticket_key": form["ticket_key"].format(key=ticket.key)}

    response = admin_client_.post(f"{GRANTS}add/", form)

    assert response.status_code == 200
    assert form_errors(response) == errors
    assert not TicketViewPermission.all_objects.exists()
    assert events(ticket, EventType.PERMISSION_GRANTED) == 0


def test_an_inactive_user_is_refused_next_to_the_username(admin_client_, ticket):
    UserFactory(username="gone", is_active=False)

    response = admin_client_.post(f"{GRANTS}add/", grant_form(ticket.key, "gone"))

    assert form_errors(response) == {"username": ["This user is inactive."]}
    assert not TicketViewPermission.all_objects.exists()


def test_duplicate_grant_is_a_form_error(admin_client_, ticket):
    grant = GrantFactory(ticket=ticket)
    response = admin_client_.post(f"{GRANTS}add/", grant_form(ticket.key, grant.user.username))
    assert response.status_code == 200
    assert form_errors(response) == {"__all__": ["This grant already exists."]}
    assert TicketViewPermission.objects.count() == 1


def test_staff_cannot_grant_on_a_ticket_they_cannot_see(ticket):
    client = staff_client("permissions.add_ticketviewpermission", "permissions.view_ticketviewpermission")
    response = client.post(f"{GRANTS}add/", grant_form(ticket.key, UserFactory().username))
    assert response.status_code == 200
    assert form_errors(response) == {"ticket_key": [f"No ticket you can see has the key {ticket.key}."]}
    assert MARKER not in response.text
    assert not TicketViewPermission.objects.exists()


def test_staff_with_admin_perms_but_without_grant_rights_gets_a_form_error(ticket):
    client = staff_client(
        "permissions.add_ticketviewpermission", "permissions.view_ticketviewpermission", "tickets.view_all_tickets"
    )
    response = client.post(f"{GRANTS}add/", grant_form(ticket.key, UserFactory().username))
    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors()
    assert not TicketViewPermission.objects.exists()


def test_the_add_page_fills_in_the_key_of_a_ticket_given_by_id(admin_client_, ticket):
    response = admin_client_.get(f"{GRANTS}add/", {"ticket": ticket.pk})

    assert response.context["adminform"].form.initial["ticket_key"] == ticket.key
    assert f'value="{ticket.key}"' in response.text


def test_a_grant_page_is_read_only_and_named_by_key_and_grantee(admin_client_, ticket):
    grant = GrantFactory(ticket=ticket, user=UserFactory(username="erin"))

    response = admin_client_.get(f"{GRANTS}{grant.pk}/change/")

    assert response.status_code == 200
    assert f"{ticket.key} → erin" in response.text
    assert not response.context["has_change_permission"]


def test_delete_revokes_and_restore_grants_again(admin_client_, ticket):
    grant = GrantFactory(ticket=ticket)
    response = admin_client_.post(f"{GRANTS}{grant.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    grant.refresh_from_db()
    assert grant.is_deleted
    assert events(ticket, EventType.PERMISSION_REVOKED) == 1

    response = admin_client_.post(
        f"{GRANTS}?deleted=yes", {"action": "restore_selected", "_selected_action": [grant.pk]}, follow=True
    )
    assert response.status_code == 200
    grant.refresh_from_db()
    assert not grant.is_deleted
    assert events(ticket, EventType.PERMISSION_GRANTED) == 1


def test_changelists_hide_tickets_the_staff_user_cannot_see(ticket):
    GrantFactory(ticket=ticket)
    AccessRequestFactory(ticket=ticket)
    client = staff_client("permissions.view_ticketviewpermission", "permissions.view_accessrequest")
    for url in (GRANTS, REQUESTS):
        response = client.get(url)
        assert response.status_code == 200
        assert response.context["cl"].result_count == 0
        assert MARKER not in response.content.decode()


def test_changelists_show_keys_not_titles(admin_client_, ticket):
    GrantFactory(ticket=ticket)
    access_request = AccessRequestFactory(ticket=ticket)
    for url in (GRANTS, REQUESTS, f"{REQUESTS}{access_request.pk}/change/"):
        response = admin_client_.get(url)
        assert response.status_code == 200
        assert ticket.key in response.content.decode()
        assert MARKER not in response.content.decode()


def test_approve_and_deny_actions(admin_client_, ticket):
    to_approve = AccessRequestFactory(ticket=ticket)
    to_deny = AccessRequestFactory(ticket=ticket)

    admin_client_.post(REQUESTS, {"action": "approve_selected", "_selected_action": [to_approve.pk]})
    admin_client_.post(REQUESTS, {"action": "deny_selected", "_selected_action": [to_deny.pk]})

    to_approve.refresh_from_db()
    to_deny.refresh_from_db()
    assert to_approve.status == AccessRequestStatus.APPROVED and to_approve.decided_by.is_superuser
    assert to_deny.status == AccessRequestStatus.DENIED and to_deny.decision_comment == ADMIN_DENY_COMMENT
    assert TicketViewPermission.objects.filter(ticket=ticket, user=to_approve.requester).exists()
    assert not TicketViewPermission.objects.filter(ticket=ticket, user=to_deny.requester).exists()
    assert events(ticket, EventType.ACCESS_GRANTED) == 1
    assert events(ticket, EventType.ACCESS_DENIED) == 1


def test_deciding_twice_in_the_admin_changes_nothing(admin_client_, ticket):
    access_request = AccessRequestFactory(ticket=ticket)
    admin_client_.post(REQUESTS, {"action": "approve_selected", "_selected_action": [access_request.pk]})
    response = admin_client_.post(REQUESTS, {"action": "deny_selected", "_selected_action": [access_request.pk]}, follow=True)
    assert "already decided" in response.content.decode()
    assert f"{ticket.key} access request by {access_request.requester.username} (approved): " in response.content.decode()
    assert AccessRequest.objects.get(pk=access_request.pk).status == AccessRequestStatus.APPROVED
    assert events(ticket, EventType.ACCESS_DENIED) == 0


def test_requests_cannot_be_added_in_the_admin(admin_client_):
    assert admin_client_.get(f"{REQUESTS}add/").status_code == 403
