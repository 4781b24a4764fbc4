"""`manage.py purge_attachments` (issue 12, item 7): the retention policy. Attachments soft-deleted more than
--older-than-days (default ATTACHMENT_RETENTION_DAYS) days ago lose their bytes and their row; live attachments and
recently deleted ones stay. Idempotent, --dry-run changes nothing, a file already missing is no error.
"""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.utils import timezone

from tickets.models import Attachment, TicketNote
from tickets.tests.factories import AttachmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.ATTACHMENT_RETENTION_DAYS = 30
    return tmp_path


def purge(*args: str) -> str:
    out = StringIO()
    call_command("purge_attachments", *args, stdout=out)
    return out.getvalue()


def deleted_days_ago(days: float, **kwargs) -> Attachment:
    return AttachmentFactory(is_deleted=True, deleted_at=timezone.now() - timedelta(days=days), **kwargs)


def stored(attachment: Attachment) -> bool:
    return default_storage.exists(attachment.file.name)


def remaining() -> set[int]:
    return set(Attachment.all_objects.values_list("id", flat=True))


def test_purges_bytes_and_rows_of_attachments_deleted_longer_ago_and_leaves_the_rest():
    old = [deleted_days_ago(31, size=10), deleted_days_ago(400, size=7)]
    recent = deleted_days_ago(29)
    live = AttachmentFactory()
    notes_before = TicketNote.objects.count()

    out = purge()

    assert "Purged 2 attachment(s), 17 byte(s)" in out
    assert remaining() == {recent.pk, live.pk}
    assert [stored(a) for a in old] == [False, False]
    assert stored(recent) and stored(live)
    assert TicketNote.objects.count() == notes_before  # the timeline keeps its add/remove events


def test_the_age_comes_from_the_option_or_the_retention_setting(settings):
    settings.ATTACHMENT_RETENTION_DAYS = 10
    eleven, five = deleted_days_ago(11), deleted_days_ago(5)

    purge()
    assert remaining() == {five.pk}

    purge("--older-than-days", "4")
    assert remaining() == set()
    assert not stored(eleven) and not stored(five)


def test_dry_run_counts_and_changes_nothing():
    old = deleted_days_ago(31, size=10)
    live = AttachmentFactory()

    out = purge("--dry-run")

    assert "1 attachment(s), 10 byte(s), would be purged" in out
    assert remaining() == {old.pk, live.pk}
    assert stored(old)


def test_a_second_run_finds_nothing_to_purge():
    deleted_days_ago(31)
    purge()

    out = purge()

    assert "Purged 0 attachment(s), 0 byte(s)" in out


def test_a_file_already_missing_from_storage_is_no_error():
    gone = deleted_days_ago(31)
    default_storage.delete(gone.file.name)

    out = purge()

    assert "Purged 1 attachment(s)" in out
    assert remaining() == set()


def test_a_negative_age_is_refused():
    old = deleted_days_ago(31)

    with pytest.raises(CommandError, match="zero or more"):
        purge("--older-than-days", "-1")

    assert remaining() == {old.pk}
