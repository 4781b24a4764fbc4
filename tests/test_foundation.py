"""Foundation: error shape, directory, health, OpenAPI, schema placement, audit fields, soft delete (SPEC §2, §3, §10)."""

import pytest
from django.db import connection

from tests.factories import AdminFactory, RoleFactory, UserFactory
from tickets.models import Category, Label
from tickets.tests.factories import CategoryFactory, LabelFactory

pytestmark = pytest.mark.django_db


def assert_error(response, status_code: int, code: str, error_type: str = "client_error") -> dict:
    assert response.status_code == status_code, response.content
    body = response.json()
    assert body["type"] == error_type
    assert body["errors"][0]["code"] == code
    assert set(body["errors"][0]) == {"code", "detail", "attr"}
    return body


# --- error shape -------------------------------------------------------------------------------------------------


def test_401_shape_for_anonymous(api_client):
    assert_error(api_client.get("/api/v1/categories/"), 401, "not_authenticated")


def test_400_shape_names_the_field(client_for):
    client = client_for(UserFactory(perms=["tickets.add_label"]))
    body = assert_error(client.post("/api/v1/labels/", {"name": "x", "color": "red"}), 400, "invalid", "validation_error")
    assert body["errors"][0]["attr"] == "color"


def test_403_shape_without_model_permission(client_for):
    assert_error(client_for(UserFactory()).post("/api/v1/labels/", {"name": "bug"}), 403, "permission_denied")
    assert not Label.objects.exists()


def test_404_shape(client_for):
    assert_error(client_for(UserFactory()).get("/api/v1/labels/999999/"), 404, "not_found")


def test_404_shape_outside_drf(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "not_found"


def test_405_shape(client_for):
    assert_error(client_for(UserFactory()).put("/api/v1/me/", {}), 405, "method_not_allowed")


def test_malformed_json_is_400(client_for):
    client = client_for(UserFactory(perms=["tickets.add_label"]))
    response = client.post("/api/v1/labels/", data="{not json", content_type="application/json")
    assert_error(response, 400, "parse_error")


def test_page_size_within_the_cap_is_honoured(client_for):
    LabelFactory.create_batch(3)
    response = client_for(UserFactory()).get("/api/v1/labels/?page_size=2")
    assert response.status_code == 200
    body = response.json()
    assert set(body) >= {"count", "next", "previous", "results"}
    assert body["count"] == 3
    assert len(body["results"]) == 2


@pytest.mark.parametrize("page_size", ["100000", "0", "-1", "abc", "null", "1.5", "\u0661"])
def test_page_size_outside_the_cap_is_a_400(client_for, page_size):
    response = client_for(UserFactory()).get("/api/v1/labels/", {"page_size": page_size})
    body = assert_error(response, 400, "invalid", error_type="validation_error")
    assert body["errors"][0]["attr"] == "page_size"


# --- directory ---------------------------------------------------------------------------------------------------


def test_me_lists_roles_and_permissions(client_for):
    role = RoleFactory(name="agents")
    user = UserFactory(username="bob", roles=[role], perms=["tickets.work_on_ticket"])
    body = client_for(user).get("/api/v1/me/").json()
    assert body["username"] == "bob"
    assert body["roles"] == ["agents"]
    assert "tickets.work_on_ticket" in body["permissions"]
    assert {"id", "email", "first_name", "last_name"} <= set(body)


def test_users_and_roles_directory_is_read_only(client_for):
    RoleFactory(name="approvers")
    client = client_for(UserFactory(username="carol"))
    assert "carol" in [u["username"] for u in client.get("/api/v1/users/").json()["results"]]
    assert [r["name"] for r in client.get("/api/v1/roles/").json()["results"]] == ["approvers"]
    assert client.post("/api/v1/roles/", {"name": "x"}).status_code == 405


# --- health and schema -------------------------------------------------------------------------------------------


def test_health_endpoints_are_public(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ok"}


def test_openapi_schema_and_docs_are_public(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert "/api/v1/categories/" in response.json()["paths"]
    assert client.get("/api/docs/").status_code == 200


def test_project_tables_live_in_schema_ticket(postgres_only):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_schema FROM information_schema.tables WHERE table_name = ANY(%s)",
            [["tickets", "categories", "labels", "ticket_notes", "approval_processes", "ticket_view_permissions"]],
        )
        schemas = [row[0] for row in cursor.fetchall()]
    assert schemas and set(schemas) == {"ticket"}
    assert len(schemas) == 6


# --- audit fields, soft delete, partial unique constraint --------------------------------------------------------


def test_api_create_and_update_fill_audit_fields(client_for):
    creator = UserFactory(perms=["tickets.add_category", "tickets.change_category"])
    editor = UserFactory(perms=["tickets.change_category"])
    response = client_for(creator).post("/api/v1/categories/", {"name": "Hardware"})
    assert response.status_code == 201
    category = Category.objects.get(pk=response.json()["id"])
    assert category.created_by == creator and category.updated_by == creator
    client_for(editor).patch(f"/api/v1/categories/{category.pk}/", {"description": "Laptops"})
    category.refresh_from_db()
    assert category.created_by == creator and category.updated_by == editor
    assert category.updated_at >= category.created_at


def test_audit_fields_cannot_be_mass_assigned(client_for):
    other = UserFactory()
    client = client_for(UserFactory(perms=["tickets.add_label"]))
    response = client.post("/api/v1/labels/", {"name": "bug", "created_by": other.pk, "is_deleted": True})
    assert response.status_code == 400
    assert (response.json()["errors"][0]["attr"], response.json()["errors"][0]["code"]) == ("non_field_errors", "read_only")
    assert not Label.all_objects.filter(name="bug").exists()


def test_api_delete_is_soft(client_for):
    user = UserFactory(perms=["tickets.delete_label"])
    label = LabelFactory(name="bug")
    assert client_for(user).delete(f"/api/v1/labels/{label.pk}/").status_code == 204
    assert not Label.objects.filter(pk=label.pk).exists()
    deleted = Label.all_objects.get(pk=label.pk)
    assert deleted.is_deleted and deleted.deleted_by == user and deleted.deleted_at is not None
    assert client_for(user).get(f"/api/v1/labels/{label.pk}/").status_code == 404


def test_name_unique_among_live_rows_only(client_for):
    client = client_for(UserFactory(perms=["tickets.add_label", "tickets.delete_label"]))
    first = client.post("/api/v1/labels/", {"name": "bug"}).json()
    duplicate = client.post("/api/v1/labels/", {"name": "BUG"})
    assert_error(duplicate, 400, "unique", "validation_error")
    client.delete(f"/api/v1/labels/{first['id']}/")
    assert client.post("/api/v1/labels/", {"name": "bug"}).status_code == 201
    assert Label.all_objects.filter(name__iexact="bug").count() == 2


def test_partial_unique_constraint_holds_in_the_database():
    from django.db import IntegrityError, transaction

    LabelFactory(name="dup")
    with pytest.raises(IntegrityError), transaction.atomic():
        Label.objects.create(name="DUP")
    deleted = LabelFactory(name="gone")
    deleted.soft_delete(actor=None)
    Label.objects.create(name="gone")


def test_category_cannot_nest_under_its_descendant(client_for):
    parent = CategoryFactory()
    child = CategoryFactory(parent=parent)
    client = client_for(UserFactory(perms=["tickets.change_category"]))
    response = client.patch(f"/api/v1/categories/{parent.pk}/", {"parent": child.pk})
    assert_error(response, 400, "invalid", "validation_error")


# --- admin ---------------------------------------------------------------------------------------------------------


def test_admin_add_and_change_fill_audit_fields(client):
    admin = AdminFactory()
    client.force_login(admin)
    response = client.post("/admin/tickets/label/add/", {"name": "urgent-ish", "color": "#ff0000", "description": ""})
    assert response.status_code == 302, response.content
    label = Label.objects.get(name="urgent-ish")
    assert label.created_by == admin and label.updated_by == admin


def test_admin_rejects_duplicate_name_with_a_form_error(client):
    client.force_login(AdminFactory())
    LabelFactory(name="dup")
    response = client.post("/admin/tickets/label/add/", {"name": "dup", "color": "#ff0000", "description": ""})
    assert response.status_code == 200
    assert Label.objects.filter(name="dup").count() == 1


def test_admin_delete_is_soft_and_restore_brings_it_back(client):
    admin = AdminFactory()
    client.force_login(admin)
    label = LabelFactory(name="bug")
    response = client.post(f"/admin/tickets/label/{label.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    label = Label.all_objects.get(pk=label.pk)
    assert label.is_deleted and label.deleted_by == admin

    listing = client.get("/admin/tickets/label/?deleted=yes")
    assert b"bug" in listing.content
    assert b"bug" not in client.get("/admin/tickets/label/").content

    response = client.post("/admin/tickets/label/?deleted=yes", {"action": "restore_selected", "_selected_action": [label.pk]})
    assert response.status_code == 302
    label.refresh_from_db()
    assert not label.is_deleted and label.deleted_at is None and label.updated_by == admin
