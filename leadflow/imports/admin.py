from django.contrib import admin

from leadflow.imports.models import ImportJob


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    """Imports are made on the import pages; the admin only shows them."""

    list_display = ("original_name", "kind", "status", "total_rows", "processed_rows", "created_by", "created_at")
    list_filter = ("status", "kind")
    readonly_fields = [field.name for field in ImportJob._meta.fields]

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False
