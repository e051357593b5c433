from django.contrib import admin

from leadflow.events.models import OutboxEvent


@admin.register(OutboxEvent)
class OutboxEventAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "created_at", "delivered_at", "attempts")
    list_filter = ("name",)
