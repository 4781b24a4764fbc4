"""The signed tokens mail carries (notifications.tokens): each reads back what it was made of, a changed byte or
another kind's token reads as nothing, and approval links expire."""

import time
from datetime import timedelta
from unittest import mock

import pytest
from django.core import signing
from django.test import override_settings

from notifications import tokens


def test_a_reply_token_reads_back_whatever_the_case_mail_systems_give_the_address():
    address = tokens.reply_address(ticket_id=42, user_id=7)

    local, domain = address.split("@")
    assert local.startswith("tickets+42-7-") and domain == "example.com"
    assert local == local.lower() and len(local) <= 64  # RFC 5321's limit for a local part
    for seen in (address, address.upper(), f"  {address.title()} "):
        token = tokens.token_from_address(seen)
        assert token is not None
        assert tokens.read_reply_token(token) == tokens.ReplyToken(ticket_id=42, user_id=7)


@override_settings(MAIL_REPLY_ADDRESS="support@help.example.org")
def test_the_reply_address_is_the_configured_mailbox_plus_a_token():
    address = tokens.reply_address(ticket_id=1, user_id=2)

    assert address.startswith("support+1-2-") and address.endswith("@help.example.org")
    assert tokens.token_from_address("support@help.example.org") is None  # no plus part: no token
    assert tokens.token_from_address(address.replace("help.example.org", "evil.example.org")) is None
    assert tokens.token_from_address(address.replace("support+", "sales+")) is None


@pytest.mark.parametrize(
    "forged",
    [
        "42-8-{signature}",  # another user with the first one's signature
        "43-7-{signature}",  # another ticket
        "42-7-{signature}x",
        "42-7-",
        "42-7",
        "x-7-{signature}",
        "",
    ],
)
def test_a_forged_reply_token_reads_as_nothing(forged):
    signature = tokens.reply_token(ticket_id=42, user_id=7).rsplit("-", 1)[1]

    assert tokens.read_reply_token(forged.format(signature=signature)) is None


def test_tokens_of_one_kind_never_pass_for_another():
    unsubscribe = tokens.unsubscribe_token(user_id=3, event_type="comment_added")
    approval = tokens.approval_token(slot_id=3, user_id=3, approve=True)

    assert tokens.read_unsubscribe_token(unsubscribe) == tokens.UnsubscribeToken(user_id=3, event_type="comment_added")
    assert tokens.read_approval_token(approval) == tokens.ApprovalToken(slot_id=3, user_id=3, approve=True)
    assert tokens.read_approval_token(unsubscribe) is None
    assert tokens.read_unsubscribe_token(approval) is None
    # Well signed with the right salt but not our shape: still nothing.
    assert tokens.read_approval_token(signing.dumps([1, 2], salt="notifications.tokens.approval")) is None


def test_a_changed_approval_token_reads_as_nothing():
    token = tokens.approval_token(slot_id=5, user_id=9, approve=False)
    payload, stamp, signature = token.split(":")
    other_payload = tokens.approval_token(slot_id=5, user_id=10, approve=False).split(":")[0]

    assert tokens.read_approval_token(f"{other_payload}:{stamp}:{signature}") is None
    changed = "B" if signature.endswith("A") else "A"
    assert tokens.read_approval_token(f"{payload}:{stamp}:{signature[:-1]}{changed}") is None


@override_settings(MAIL_APPROVAL_LINK_MAX_AGE_DAYS=7)
def test_an_approval_token_expires_after_the_configured_days():
    issued_at = time.time()
    with mock.patch("time.time", return_value=issued_at):
        token = tokens.approval_token(slot_id=5, user_id=9, approve=True)

    with mock.patch("time.time", return_value=issued_at + timedelta(days=6, hours=23).total_seconds()):
        assert tokens.read_approval_token(token) == tokens.ApprovalToken(slot_id=5, user_id=9, approve=True)
    late = issued_at + timedelta(days=7, seconds=1).total_seconds()
    with mock.patch("time.time", return_value=late), pytest.raises(tokens.ApprovalTokenExpired):
        tokens.read_approval_token(token)
