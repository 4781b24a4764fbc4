from django.urls import path

from workspace.views.ticket import actions, page

urlpatterns = [
    path("tickets/<str:key>/", page.ticket_page, name="ticket"),
    path("tickets/<str:key>/transition/", actions.transition, name="ticket-transition"),
    path("tickets/<str:key>/assign-to-me/", actions.assign_to_me, name="ticket-assign-to-me"),
    path("tickets/<str:key>/details/", actions.update_details, name="ticket-details"),
    path("tickets/<str:key>/comments/", actions.comment_add, name="ticket-comment-add"),
    path("tickets/<str:key>/comments/<int:note_id>/edit/", actions.comment_edit, name="ticket-comment-edit"),
    path("tickets/<str:key>/comments/<int:note_id>/delete/", actions.comment_remove, name="ticket-comment-delete"),
    path("tickets/<str:key>/attachments/", actions.attachment_upload, name="ticket-attachment-upload"),
    path(
        "tickets/<str:key>/attachments/<int:attachment_id>/",
        actions.attachment_download,
        name="ticket-attachment-download",
    ),
    path(
        "tickets/<str:key>/attachments/<int:attachment_id>/delete/",
        actions.attachment_remove,
        name="ticket-attachment-delete",
    ),
]
