"""Filters of the report pages (and the e-mail's text table): durations, rates and SLA attainment
people can read."""

import math

from django import template
from django.utils import formats
from django.utils.translation import gettext as _

from frontdesk.reports.selectors import Attainment, AttainmentRow
from frontdesk.sla.models import Metric

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


@register.filter
def attainment(value: float | None) -> str:
    """An SLA attainment (0–1) as a percentage with one decimal, rounded down: 1999 met of 2000
    reads 99.9 %, never 100 %. A dash for nothing counted."""
    if value is None:
        return DASH
    return f"{formats.number_format(math.floor(value * 1000 + 1e-9) / 10, 1)} %"


@register.filter
def metric_label(metric: str) -> str:
    """An SLA metric's name in the reader's language."""
    return str(Metric(metric).label)


@register.filter
def attainment_of(row: AttainmentRow, metric: str | None) -> Attainment:
    """A row's attainment for one metric, or overall for none ("")."""
    return row.metric(metric) if metric else row.overall
