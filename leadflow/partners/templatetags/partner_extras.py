"""Template helpers of the partner report."""

from typing import Any

from django import template

register = template.Library()


@register.simple_tag
def closable_url(closable: dict[tuple[int, str], str], row: Any) -> str:
    """The address that marks this row's period paid, or "" when it cannot be (yet)."""
    return (closable or {}).get((row.partner_id, row.period.isoformat()), "")
