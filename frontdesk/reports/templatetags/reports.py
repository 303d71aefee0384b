"""Filters of the report pages (and the e-mail's text table): durations and rates people can read."""

from django import template
from django.utils import formats
from django.utils.translation import gettext as _

register = template.Library()

DASH = "—"


@register.filter
def duration(seconds: float | None) -> str:
    """45 s, 4 min 05 s, 37 h 05 min; a dash for no value."""
    if seconds is None:
        return DASH
    whole = round(seconds)
    if whole < 60:
        return _("%(seconds)d s") % {"seconds": whole}
    if whole < 3600:
        return _("%(minutes)d min %(seconds)02d s") % {"minutes": whole // 60, "seconds": whole % 60}
    minutes = whole // 60
    return _("%(hours)d h %(minutes)02d min") % {"hours": minutes // 60, "minutes": minutes % 60}


@register.filter
def rate(value: float | None) -> str:
    """A share (0–1) as a percentage; a dash for none."""
    if value is None:
        return DASH
    return f"{formats.number_format(value * 100, 0)} %"
