"""The ticket page's forms: input types and widgets only. The services judge every value (the form's own checks are
those of reading text as a type); their refusals land next to the fields (workspace.forms.call_service)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.db.models import Q

from tickets.models import Category, Label, Ticket, TicketPriority
from tickets.selectors import active_agents
from ticketsite.limits import COMMENT_MAX_LENGTH, REMARK_MAX_LENGTH
from workspace.templatetags.workspace_ui import person

# What the page lets the people who work on a ticket change, in the order the form shows them.
DETAIL_FIELDS = ("priority", "assignee", "due_at", "categories", "labels")
DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class CommentForm(forms.Form):
    note = forms.CharField(
        label="Comment",
        required=False,  # the service says "A comment cannot be empty." next to the box
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4, "required": True}),
    )


class TransitionForm(forms.Form):
    # Any text: the state machine (in ticket_transition) says what is possible, naming the caller's transitions.
    to_status = forms.CharField(max_length=32, widget=forms.HiddenInput)
    comment = forms.CharField(
        label="Comment (optional)", required=False, max_length=REMARK_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2})
    )


class AttachmentForm(forms.Form):
    file = forms.FileField(label="File")


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return person(obj)


class DetailsForm(forms.Form):
    """Priority, assignee, due date, categories and labels: only the fields in `editable` (editable_fields), so a
    person sees the controls they may use; the service is the judge of what is posted."""

    priority = forms.ChoiceField(choices=TicketPriority.choices)
    assignee = PersonChoiceField(queryset=User.objects.none(), required=False, empty_label="Nobody")
    due_at = forms.DateTimeField(
        label="Due",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
        input_formats=[DATETIME_LOCAL, f"{DATETIME_LOCAL}:%S"],
    )
    categories = forms.ModelMultipleChoiceField(
        queryset=Category.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )
    labels = forms.ModelMultipleChoiceField(queryset=Label.objects.all(), required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, ticket: Ticket, editable: frozenset[str], **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "priority": ticket.priority,
                "assignee": ticket.assignee_id,
                "due_at": ticket.due_at,
                "categories": [category.pk for category in ticket.categories.all()],
                "labels": [label.pk for label in ticket.labels.all()],
            },
        )
        super().__init__(*args, **kwargs)
        for name in DETAIL_FIELDS:
            if name not in editable:
                del self.fields[name]
        if "assignee" in self.fields:
            # The agents, and whoever holds the ticket now (an assignee need not be an agent).
            agents = Q(pk__in=active_agents().values("pk")) | Q(pk=ticket.assignee_id)
            assignee = self.fields["assignee"]
            assert isinstance(assignee, forms.ModelChoiceField)
            assignee.queryset = User.objects.filter(agents).order_by("first_name", "last_name", "username")

    def changes(self) -> dict[str, Any]:
        """The cleaned values of the fields shown, as ticket_update takes them."""
        return {name: self.cleaned_data[name] for name in DETAIL_FIELDS if name in self.fields}
