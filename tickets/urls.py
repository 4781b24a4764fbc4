from django.urls import path
from rest_framework.routers import SimpleRouter

from tickets.api.views import attachments, bulk, classification, tickets

router = SimpleRouter()
router.register("categories", classification.CategoryViewSet, basename="category")
router.register("labels", classification.LabelViewSet, basename="label")
router.register("tickets", tickets.TicketViewSet, basename="ticket")
router.register("ticket-templates", tickets.TicketTemplateViewSet, basename="ticket-template")
router.register(r"tickets/(?P<ticket_id>[^/.]+)/attachments", attachments.TicketAttachmentViewSet, basename="ticket-attachment")
router.register(
    r"ticket-templates/(?P<template_id>[^/.]+)/attachments",
    attachments.TemplateAttachmentViewSet,
    basename="template-attachment",
)
router.register("attachments", attachments.AttachmentViewSet, basename="attachment")

# Before the router's routes: `tickets/<pk>/` would take "bulk" for a ticket id.
urlpatterns = [path("tickets/bulk/", bulk.TicketBulkView.as_view(), name="ticket-bulk"), *router.urls]
