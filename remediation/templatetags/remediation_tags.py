"""Small template helpers of the remediation pages."""

from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """``mapping[key]`` or ``None`` (dictionaries keyed by ids)."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None
