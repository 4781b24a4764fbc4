"""The pages people open in a browser work under our CSP (no inline script): Swagger UI renders offline, authorises with
a JWT and calls an endpoint; the admin logs in and lists tickets. Any CSP violation or script error fails the test."""

import pytest
from playwright.sync_api import expect

from tests.factories import AdminFactory, UserFactory
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.browser

PASSWORD = "pass-12345"  # tests.factories.UserFactory's


def test_swagger_ui_renders_the_tagged_operations_authorises_with_a_jwt_and_calls_an_endpoint(page):
    UserFactory(username="alice")
    token = page.request.post("/api/v1/auth/token/", data={"username": "alice", "password": PASSWORD})
    assert token.status == 200
    access = token.json()["access"]

    page.goto("/api/docs/")

    expect(page.locator(".opblock-tag-section")).to_have_count(14)
    for tag in ("auth", "tickets", "access requests", "directory"):
        expect(page.locator(f'.opblock-tag[data-tag="{tag}"]')).to_be_visible()

    page.locator(".auth-wrapper button.authorize").click()
    jwt_form = page.locator("form").filter(has_text="jwtAuth")
    jwt_form.get_by_label("auth-bearer-value").fill(access)
    jwt_form.get_by_role("button", name="Apply credentials").click()
    expect(jwt_form.get_by_role("button", name="Remove authorization")).to_be_visible()
    jwt_form.get_by_role("button", name="Close").click()

    operation = page.locator("#operations-directory-v1_me_retrieve")
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()

    response = operation.locator(".live-responses-table .response")
    expect(response.locator(".response-col_status")).to_have_text("200")
    expect(response.locator(".response-col_description")).to_contain_text('"username": "alice"')
    assert page.problems == []


def test_the_admin_logs_in_and_lists_tickets_under_a_policy_without_inline_script(page):
    admin = AdminFactory(username="root")
    TicketFactory(title="Printer on fire", created_by=admin)

    login = page.goto("/admin/login/")
    assert "script-src 'self';" in login.headers["content-security-policy"]
    page.fill("#id_username", "root")
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#site-name")).to_be_visible()

    page.goto("/admin/tickets/ticket/")
    expect(page.locator("#result_list")).to_contain_text("Printer on fire")
    page.locator("#action-toggle").check()  # the changelist's own script runs: every row's box is ticked
    expect(page.locator("input.action-select").first).to_be_checked()

    page.goto(f"/admin/tickets/ticket/{TicketFactory(created_by=admin).pk}/change/")
    expect(page.locator("#ticket_form")).to_be_visible()
    assert page.problems == []
