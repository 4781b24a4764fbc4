from django.contrib import admin

from tickets.models import Category, Label
from ticketsite.admin import AuditedAdmin


@admin.register(Category)
class CategoryAdmin(AuditedAdmin):
    list_display = ["name", "parent", "is_deleted", "updated_at"]
    search_fields = ["name", "description"]
    autocomplete_fields = ["parent"]


@admin.register(Label)
class LabelAdmin(AuditedAdmin):
    list_display = ["name", "color", "is_deleted", "updated_at"]
    search_fields = ["name", "description"]
