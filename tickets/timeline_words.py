"""The ticket timeline in words: one renderer of timeline entries (comments and system events) for every reader, the
workspace's ticket page, e-mail and the admin.

Use::

    names = names_for(notes)          # the people, roles, categories and labels the notes name: at most 4 queries
    for note in notes:
        sentence = describe(note, names)
        sentence.text                 # plain text (e-mail):  erin approved "Security review" for frank: Security OK
        sentence.html                 # escaped SafeString:   erin approved <em>Security review</em> for frank: ...

or `describe_all(notes)` for both steps at once. Object names (steps, processes, categories, labels, files, titles) are
quoted in the text and emphasised in the HTML; people are named by their full name, else their username. Everything
user-supplied is escaped in the HTML and left as it is in the text (which has no HTML entities).

Comments read "alice commented: <text>", "(edited)" when an edit of theirs is in the same batch (`names.edits` holds
the comment_edited events of each comment, oldest first, for readers that show the history), a deleted comment
"comment deleted" without its text, a redacted one its marker. A detail shape this module does not know (an old row,
a new event type) gives a plain fallback sentence, never an error. Each event's details are written by
tickets.timeline / tickets.receivers, approvals.timeline and permissions.timeline; the sentences here read them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth.models import Group, User
from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from tickets.models import Category, EventType, Label, TicketNote, TicketPriority, TicketStatus, TicketVisibility
from tickets.timeline import VIA_EMAIL

SYSTEM = "The system"
SOMEONE = "someone"
EVENT_FALLBACK = "made a change"  # what an event type without a sentence reads: "{actor} made a change (its type)"
CANCEL_REASONS = {"withdrawn": "the ticket was withdrawn", "deleted": "the ticket was deleted"}


@dataclass(frozen=True)
class Sentence:
    text: str
    html: SafeString

    def __str__(self) -> str:
        return self.text


@dataclass
class Names:
    """What a batch of notes names, resolved at once: id -> display name of users, roles, categories and labels, and
    the comment_edited events of each comment of the batch (comment id -> events, oldest first)."""

    users: dict[int, str] = field(default_factory=dict)
    roles: dict[int, str] = field(default_factory=dict)
    categories: dict[int, str] = field(default_factory=dict)
    labels: dict[int, str] = field(default_factory=dict)
    edits: dict[int, list[TicketNote]] = field(default_factory=dict)

    def user(self, pk: Any) -> str:
        return self.users.get(pk, SOMEONE) if isinstance(pk, int) else SOMEONE

    def role(self, pk: Any) -> str:
        return self.roles.get(pk, "a role") if isinstance(pk, int) else "a role"


def person_name(user: User) -> str:
    """A person as people name them: full name, else the username."""
    return user.get_full_name() or user.get_username()


# --- reading details defensively -------------------------------------------------------------------------------------


def _details(note: TicketNote) -> dict[str, Any]:
    return note.event_details if isinstance(note.event_details, dict) else {}


def _id(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ("" if value is None else str(value))


def _humanise(name: str) -> str:
    words = name.replace("_", " ").strip()
    return words[:1].upper() + words[1:] if words else "?"


def _choice(choices: type[models.TextChoices], value: Any) -> str:
    text = _str(value)
    return str(choices(text).label) if text in choices.values else _humanise(text)


def _moment(value: Any) -> str:
    parsed = parse_datetime(value) if isinstance(value, str) else value if isinstance(value, datetime) else None
    if parsed is None:
        return _str(value)
    if timezone.is_aware(parsed):
        parsed = timezone.localtime(parsed)
    return parsed.strftime("%Y-%m-%d %H:%M")


# --- the names of a batch --------------------------------------------------------------------------------------------


def _user_ids(note: TicketNote, details: dict[str, Any]) -> list[Any]:
    ids: list[Any] = [note.created_by_id]
    match note.event_type:
        case EventType.ASSIGNEE_CHANGE:
            ids += [details.get("old"), details.get("new")]
        case EventType.APPROVAL_STEP_STARTED:
            approvers = details.get("approvers")
            ids += [slot.get("user") for slot in approvers if isinstance(slot, dict)] if isinstance(approvers, list) else []
        case EventType.APPROVAL_GIVEN | EventType.APPROVAL_REJECTED:
            ids += [details.get("acted_by"), details.get("on_behalf_of")]
        case EventType.PERMISSION_GRANTED | EventType.PERMISSION_REVOKED:
            ids.append(details.get("user"))
        case EventType.ACCESS_REQUESTED | EventType.ACCESS_GRANTED | EventType.ACCESS_DENIED:
            ids.append(details.get("requester"))
    return ids


def _role_ids(note: TicketNote, details: dict[str, Any]) -> list[Any]:
    match note.event_type:
        case EventType.APPROVAL_STEP_STARTED:
            approvers = details.get("approvers")
            return [slot.get("role") for slot in approvers if isinstance(slot, dict)] if isinstance(approvers, list) else []
        case EventType.PERMISSION_GRANTED | EventType.PERMISSION_REVOKED:
            return [details.get("role")]
    return []


def _unnamed(notes: list[TicketNote], event_types: set[str], key: str) -> set[int]:
    """Ids of categories or labels whose event kept no name (rows written before names were kept)."""
    found = set()
    for note in notes:
        details = _details(note)
        if note.event_type in event_types and not _str(details.get("name")):
            pk = _id(details.get(key))
            if pk is not None:
                found.add(pk)
    return found


def _clean(ids: Iterable[Any]) -> set[int]:
    return {pk for pk in map(_id, ids) if pk is not None}


def names_for(notes: Iterable[TicketNote]) -> Names:
    """Everything `notes` name, in at most four queries (users, roles, categories, labels), none for what no note names.
    Deleted categories and labels keep their names; an id that names nothing reads "someone" / "a role"."""
    notes = list(notes)
    user_ids = _clean(pk for note in notes for pk in _user_ids(note, _details(note)))
    role_ids = _clean(pk for note in notes for pk in _role_ids(note, _details(note)))
    category_ids = _unnamed(notes, {EventType.CATEGORY_ADD, EventType.CATEGORY_REMOVE}, "category")
    label_ids = _unnamed(notes, {EventType.LABEL_ADD, EventType.LABEL_REMOVE}, "label")
    names = Names()
    if user_ids:
        people = User.objects.filter(pk__in=user_ids).only("id", "username", "first_name", "last_name")
        names.users = {person.pk: person_name(person) for person in people}
    if role_ids:
        names.roles = dict(Group.objects.filter(pk__in=role_ids).values_list("pk", "name"))
    if category_ids:
        names.categories = dict(Category.all_objects.filter(pk__in=category_ids).values_list("pk", "name"))
    if label_ids:
        names.labels = dict(Label.all_objects.filter(pk__in=label_ids).values_list("pk", "name"))
    for note in notes:
        comment = _id(_details(note).get("comment"))
        if note.event_type == EventType.COMMENT_EDITED and comment is not None:
            names.edits.setdefault(comment, []).append(note)
    return names


# --- building a sentence ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Part:
    text: str
    html: SafeString


_NOTHING = _Part("", mark_safe(""))


def _plain(value: str) -> _Part:
    return _Part(value, escape(value))


def _channel(details: dict[str, Any]) -> _Part:
    """ " by e-mail" for an entry whose change came by mail (tickets.timeline.VIA_EMAIL), else nothing."""
    return _plain(" by e-mail") if details.get("via") == VIA_EMAIL else _NOTHING


def _thing(name: Any) -> _Part:
    """An object's name: quoted in the text, emphasised in the HTML."""
    text = _str(name)
    return _Part(f'"{text}"', format_html("<em>{}</em>", text))


def _said(words: Any) -> _Part:
    """What someone wrote with their action (a comment, a reason), after a colon; nothing when they wrote nothing."""
    text = _str(words).strip()
    if not text:
        return _NOTHING
    return _Part(f": {text}", format_html(': <span class="said">{}</span>', text))


def _join(parts: list[_Part], conjunction: str = "and") -> _Part:
    if not parts:
        return _NOTHING
    if len(parts) == 1:
        return parts[0]
    head, last = parts[:-1], parts[-1]
    text = ", ".join(part.text for part in head) + f" {conjunction} " + last.text
    html = mark_safe(", ".join(part.html for part in head) + f" {conjunction} " + last.html)
    return _Part(text, html)


def _say(pattern: str, **parts: _Part) -> Sentence:
    """`pattern` is this module's own words with {placeholders}; each part brings its text and its escaped HTML."""
    if not parts:
        return Sentence(text=pattern, html=escape(pattern))
    text = pattern.format(**{name: part.text for name, part in parts.items()})
    html = format_html(pattern, **{name: part.html for name, part in parts.items()})
    return Sentence(text=text, html=html)


def _actor(note: TicketNote, names: Names) -> _Part:
    if note.created_by_id is None:
        return _plain(SYSTEM)
    return _plain(names.user(note.created_by_id))


# --- the sentences ---------------------------------------------------------------------------------------------------

Describer = Callable[[TicketNote, dict[str, Any], Names], Sentence]


def _created(note: TicketNote, details: dict[str, Any], names: Names) -> Sentence:
    title = _str(details.get("title"))
    channel = _channel(details)
    if not title:
        return _say("{actor} created the ticket{channel}", actor=_actor(note, names), channel=channel)
    return _say("{actor} created the ticket {title}{channel}", actor=_actor(note, names), title=_thing(title), channel=channel)


def _status_change(note: TicketNote, details: dict[str, Any], names: Names) -> Sentence:
    to = _plain(_choice(TicketStatus, details.get("to")))
    said = _said(details.get("comment"))
    if not _str(details.get("from")):
        return _say("{actor} moved the ticket to {to}{said}", actor=_actor(note, names), to=to, said=said)
    source = _plain(_choice(TicketStatus, details.get("from")))
    return _say(
        "{actor} moved the ticket from {source} to {to}{said}", actor=_actor(note, names), source=source, to=to, said=said
    )


def _assignee_change(note: TicketNote, details: dict[str, Any], names: Names) -> Sentence:
    actor = _actor(note, names)
    old, new = _id(details.get("old")), _id(details.get("new"))
    if new is not None and new == note.created_by_id and old is None:
        return _say("{actor} took the ticket", actor=actor)
    if new is not None and old is not None:
        return _say(
            "{actor} reassigned the ticket from {old} to {new}",
            actor=actor,
            old=_plain(names.user(old)),
            new=_plain(names.user(new)),
        )
    if new is not None:
        return _say("{actor} assigned the ticket to {new}", actor=actor, new=_plain(names.user(new)))
    if old is not None:
        return _say("{actor} unassigned {old}", actor=actor, old=_plain(names.user(old)))
    return _say("{actor} changed the assignee", actor=actor)


def _choice_change(what: str, choices: type[models.TextChoices]) -> Describer:
    def describe_change(note: TicketNote, details: dict[str, Any], names: Names) -> Sentence:
        new = _plain(_choice(choices, details.get("new")))
        if not _str(details.get("old")):
            return _say(f"{{actor}} set {what} to {{new}}", actor=_actor(note, names), new=new)
        old = _plain(_choice(choices, details.get("old")))
        return _say(f"{{actor}} changed {what} from {{old}} to {{new}}", actor=_actor(note, names), old=old, new=new)

    return describe_change


def _changed_keys(old: Any, new: Any) -> list[str]:
    old = old if isinstance(old, dict) else {}
    new = new if isinstance(new, dict) else {}
    return sorted(key for key in {*old, *new} if old.get(key) != new.get(key))


def _field_change(note: TicketNote, details: dict[str, Any], names: Names) -> Sentence:
    actor = _actor(note, names)
    name, old, new = _str(details.get("field")), details.get("old"), details.get("new")
    match name:
        case "title":
            return _say("{actor} renamed the ticket from {old} to {new}", actor=actor, old=_thing(old), new=_thing(new))
        case "description":
            return _say("{actor} edited the description", actor=actor)
        case "custom_fields":
            keys = _join([_thing(_humanise(key)) for key in _changed_keys(old, new)])
            if not keys.text:
                return _say("{actor} changed the custom fields", actor=actor)
            return _say("{actor} changed the custom fields {keys}", actor=actor, keys=keys)
        case "due_at":
            if not new:
                return _say("{actor} removed the due date", actor=actor)
            if not old:
                return _say("{actor} set the due date to {new}", actor=actor, new=_plain(_moment(new)))
            return _say(
                "{actor} changed the due date from {old} to {new}",
                actor=actor,
                old=_plain(_moment(old)),
                new=_plain(_moment(new)),
            )
        case "approval_template":
            return _say("{actor} changed the approval template", actor=actor)
    return _say("{actor} changed {what}", actor=actor, what=_plain(_humanise(name).lower() if name else "the ticket"))


def _classified(action: str, kind: str, key: str) -> Describer:
    def describe_classification(note: TicketNote, details: dict[str, Any], names: Names) -> Sentence:
        known = names.categories if kind == "category" else names.labels
        pk = _id(details.get(key))
        name = _str(details.get("name")) or (known.get(pk, "") if pk is not None else "")
        if not name:
            return _say(f"{{actor}} {action} a {kind}", actor=_actor(note, names))
        return _say(f"{{actor}} {action} {kind} {{name}}", actor=_actor(note, names), name=_thing(name))

    return describe_classification


def _attachment_add(note: TicketNote, details: dict[str, Any], names: Names) -> Sentence:
    to_comment = " to a comment" if _id(details.get("note")) is not None else ""
    file = _thing(_str(details.get("file_name")) or "a file")
    return _say(f"{{actor}} attached {{file}}{to_comment}", actor=_actor(note, names), file=file)


def _attachment_remove(note: TicketNote, details: dict[str, Any], names: Names) -> Sentence:
    file = _thing(_str(details.get("file_name")) or "a file")
    return _say("{actor} removed the attachment {file}", actor=_actor(note, names), file=file)


def _approval(pattern: str, note: TicketNote, details: dict[str, Any], **parts: _Part) -> Sentence:
    """The approval engine's own events: "Approval "Purchase" started", or "The approval ..." without a name."""
    name = _str(details.get("process_name"))
    if not name:
        return _say(pattern.replace("Approval {process}", "The approval"), **parts)
    return _say(pattern, process=_thing(name), **parts)


def _approval_started(note: TicketNote, details: dict[str, Any], names: Names) -> Sentence:
    return _approval("Approval {process} started", note, details)


def _approvers(details: dict[str, Any], names: Names) -> list[_Part]:
    approvers = details.get("approvers")
    parts = []
    for slot in approvers if isinstance(approvers, list) else []:
        if not isinstance(slot, dict):
            continue
        if _id(slot.get("user")) is not None:
            parts.append(_plain(names.user(slot.get("user"))))
        elif _id(slot.get("role")) is not None:
            role = _thing(names.role(slot.get("role")))
            parts.append(_Part(f"role {role.text}", format_html("role {}", role.html)))
    return parts


def _step(details: dict[str, Any]) -> _Part:
    name = _str(details.get("step_name"))
    return _thing(name) if name else _plain("a step")


def _step_started(note: TicketNote, details: dict[str, Any], names: Names) -> Sentence:
    order = _id(details.get("step_order"))
    step = _step(details)
    if order is not None:
        step = _Part(f"{order} {step.text}", format_html("{} {}", order, step.html))
    approvers = _approvers(details, names)
    if not approvers:
        return _say("Step {step} started", step=step)
    if len(approvers) == 1:
        return _say("Step {step} started: waiting for {who}", step=step, who=approvers[0])
    quantity = "all" if details.get("approval_type") == "all" else "one"
    return _say(f"Step {{step}} started: waiting for {quantity} of {{who}}", step=step, who=_join(approvers))


def _decided(verb: str) -> Describer:
    def describe_decision(note: TicketNote, details: dict[str, Any], names: Names) -> Sentence:
        acted_by = _id(details.get("acted_by"))
        actor = _plain(names.user(acted_by)) if acted_by is not None else _actor(note, names)
        on_behalf_of = _id(details.get("on_behalf_of"))
        proxy = _NOTHING
        if on_behalf_of is not None:
            principal = names.user(on_behalf_of)
            proxy = _Part(f" for {principal}", format_html(" for {}", principal))
        channel = _channel(details)
        said = _said(details.get("comment"))
        pattern = f"{{actor}} {verb} {{step}}{{proxy}}{{channel}}{{said}}"
        return _say(pattern, actor=actor, step=_step(details), proxy=proxy, channel=channel, said=said)

    return describe_decision


def _approval_completed(note: TicketNote, details: dict[str, Any], names: Names) -> Sentence:
    return _approval("Approval {process} completed", note, details)


def _approval_cancelled(note: TicketNote, details: dict[str, Any], names: Names) -> Sentence:
    reason = _str(details.get("reason"))
    return _approval("Approval {process} cancelled{said}", note, details, said=_said(CANCEL_REASONS.get(reason, reason)))


def _grantee(details: dict[str, Any], names: Names) -> _Part:
    if _id(details.get("user")) is not None:
        return _plain(names.user(details.get("user")))
    if _id(details.get("role")) is not None:
        role = _thing(names.role(details.get("role")))
        return _Part(f"role {role.text}", format_html("role {}", role.html))
    return _plain(SOMEONE)


def _permission_granted(note: TicketNote, details: dict[str, Any], names: Names) -> Sentence:
    return _say("{actor} gave {who} access", actor=_actor(note, names), who=_grantee(details, names))


def _permission_revoked(note: TicketNote, details: dict[str, Any], names: Names) -> Sentence:
    return _say("{actor} took away the access of {who}", actor=_actor(note, names), who=_grantee(details, names))


def _requester(note: TicketNote, details: dict[str, Any], names: Names) -> _Part:
    requester = _id(details.get("requester"))
    return _plain(names.user(requester)) if requester is not None else _actor(note, names)


def _access_requested(note: TicketNote, details: dict[str, Any], names: Names) -> Sentence:
    said = _said(details.get("reason"))
    return _say("{requester} asked for access{said}", requester=_requester(note, details, names), said=said)


def _access_decided(verb: str) -> Describer:
    def describe_access_decision(note: TicketNote, details: dict[str, Any], names: Names) -> Sentence:
        return _say(
            f"{{actor}} {verb} the access request of {{requester}}{{said}}",
            actor=_actor(note, names),
            requester=_requester(note, details, names),
            said=_said(details.get("comment")),
        )

    return describe_access_decision


def _comment_edited(note: TicketNote, details: dict[str, Any], names: Names) -> Sentence:
    if details.get("redacted"):
        return _say("{actor} edited a comment (since redacted)", actor=_actor(note, names))
    return _say("{actor} edited a comment{said}", actor=_actor(note, names), said=_said(details.get("new")))


def _comment_deleted(note: TicketNote, details: dict[str, Any], names: Names) -> Sentence:
    return _say("{actor} deleted a comment", actor=_actor(note, names))


def _comment_redacted(note: TicketNote, details: dict[str, Any], names: Names) -> Sentence:
    return _say("{actor} redacted a comment{said}", actor=_actor(note, names), said=_said(details.get("reason")))


_SLA_TARGETS = {"first_response": "first response", "resolution": "resolution"}


def _sla_dues(details: dict[str, Any]) -> _Part:
    dues = [
        _plain(f"{what} due {_moment(details.get(key))}")
        for what, key in (("first response", "first_response_due_at"), ("resolution", "resolution_due_at"))
        if details.get(key)
    ]
    joined = _join(dues)
    return _Part(f": {joined.text}", mark_safe(": " + joined.html)) if dues else _NOTHING


def _sla_policy_change(note: TicketNote, details: dict[str, Any], names: Names) -> Sentence:
    new, old = _str(details.get("policy_name")), _str(details.get("old_policy_name"))
    dues = _sla_dues(details)
    paused = " (paused)" if details.get("sla_status") == "paused" else ""
    if not new:
        return _say("Service level {old} no longer applies", old=_thing(old or "?"))
    if not old:
        return _say(f"Service level {{new}} applies{paused}{{dues}}", new=_thing(new), dues=dues)
    return _say(f"Service level changed from {{old}} to {{new}}{paused}{{dues}}", old=_thing(old), new=_thing(new), dues=dues)


def _sla_target(verb: str) -> Describer:
    def describe_target(note: TicketNote, details: dict[str, Any], names: Names) -> Sentence:
        target = _plain(_SLA_TARGETS.get(_str(details.get("target")), "a"))
        due = _plain(f" (due {_moment(details.get('due_at'))})") if details.get("due_at") else _NOTHING
        policy = _thing(_str(details.get("policy_name")) or "?")
        return _say(f"The {{target}} target of service level {{policy}} {verb}{{due}}", target=target, policy=policy, due=due)

    return describe_target


SENTENCES: dict[str, Describer] = {
    EventType.CREATED: _created,
    EventType.STATUS_CHANGE: _status_change,
    EventType.ASSIGNEE_CHANGE: _assignee_change,
    EventType.PRIORITY_CHANGE: _choice_change("priority", TicketPriority),
    EventType.VISIBILITY_CHANGE: _choice_change("visibility", TicketVisibility),
    EventType.FIELD_CHANGE: _field_change,
    EventType.CATEGORY_ADD: _classified("added", "category", "category"),
    EventType.CATEGORY_REMOVE: _classified("removed", "category", "category"),
    EventType.LABEL_ADD: _classified("added", "label", "label"),
    EventType.LABEL_REMOVE: _classified("removed", "label", "label"),
    EventType.ATTACHMENT_ADD: _attachment_add,
    EventType.ATTACHMENT_REMOVE: _attachment_remove,
    EventType.APPROVAL_STARTED: _approval_started,
    EventType.APPROVAL_STEP_STARTED: _step_started,
    EventType.APPROVAL_GIVEN: _decided("approved"),
    EventType.APPROVAL_REJECTED: _decided("rejected"),
    EventType.APPROVAL_COMPLETED: _approval_completed,
    EventType.APPROVAL_CANCELLED: _approval_cancelled,
    EventType.PERMISSION_GRANTED: _permission_granted,
    EventType.PERMISSION_REVOKED: _permission_revoked,
    EventType.ACCESS_REQUESTED: _access_requested,
    EventType.ACCESS_GRANTED: _access_decided("granted"),
    EventType.ACCESS_DENIED: _access_decided("denied"),
    EventType.COMMENT_EDITED: _comment_edited,
    EventType.COMMENT_DELETED: _comment_deleted,
    EventType.COMMENT_REDACTED: _comment_redacted,
    EventType.SLA_POLICY_CHANGE: _sla_policy_change,
    EventType.SLA_WARNING: _sla_target("is nearly used up"),
    EventType.SLA_BREACHED: _sla_target("was breached"),
}


def _comment(note: TicketNote, names: Names) -> Sentence:
    actor = _actor(note, names)
    if note.is_deleted:
        return _say("{actor}: comment deleted", actor=actor)
    edited = " (edited)" if names.edits.get(note.pk) and note.redacted_at is None else ""
    channel = _channel(note.event_details or {})
    return _say(f"{{actor}} commented{{channel}}{edited}{{said}}", actor=actor, channel=channel, said=_said(note.note))


def describe(note: TicketNote, names: Names) -> Sentence:
    """One timeline entry in words. `names` comes from names_for() over a batch that contains `note`."""
    if not note.system:
        return _comment(note, names)
    sentence = SENTENCES.get(_str(note.event_type))
    if sentence is None:
        what = _plain(_humanise(_str(note.event_type)).lower() if note.event_type else "unknown")
        return _say(f"{{actor}} {EVENT_FALLBACK} ({{what}})", actor=_actor(note, names), what=what)
    return sentence(note, _details(note), names)


def describe_all(notes: Iterable[TicketNote]) -> list[Sentence]:
    """describe() of each note, with the names of the whole batch resolved once."""
    notes = list(notes)
    names = names_for(notes)
    return [describe(note, names) for note in notes]
