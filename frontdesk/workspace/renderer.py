"""How the workspace's forms turn into HTML: Django's widget templates, built in Python.

Django renders each widget through templates: a select includes one template per option
and another per attribute list, so the agent picker (fifty agents) alone was a hundred
template renders on every ticket page. `WidgetRenderer` builds the widgets the workspace
shows directly, with exactly the output of Django's templates (test_forms.py compares
them in every language); anything else still goes through Django's templates.
"""

import html
from collections.abc import Callable
from typing import Any

from django.forms.renderers import DjangoTemplates
from django.http import HttpRequest
from django.utils.formats import localize
from django.utils.html import conditional_escape


def _escape(value: Any) -> str:
    """`{{ value|stringformat:'s' }}` in a template: escaped unless safe."""
    if type(value) is str:  # the common case (a SafeString is a subclass)
        return html.escape(value)
    return str(conditional_escape(value))


def _text(value: Any) -> str:
    """`{{ value }}` in a template: localised, then escaped unless safe."""
    return html.escape(value) if type(value) is str else _escape(localize(value))


def _attrs(attrs: dict[str, Any]) -> str:
    """Django's django/forms/widgets/attrs.html."""
    return "".join(
        f" {_escape(name)}" if value is True else f' {_escape(name)}="{_escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _input(widget: dict[str, Any]) -> str:
    value = "" if widget["value"] is None else f' value="{_escape(widget["value"])}"'
    return f'<input type="{_text(widget["type"])}" name="{_text(widget["name"])}"{value}{_attrs(widget["attrs"])}>'


def _file_input(widget: dict[str, Any]) -> str | None:
    if widget["is_initial"]:
        return None  # a file already there, with its "clear" checkbox: Django's template
    return f'<input type="{_text(widget["type"])}" name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>'


def _textarea(widget: dict[str, Any]) -> str:
    value = _text(widget["value"]) if widget["value"] else ""
    return f'<textarea name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>\n{value}</textarea>'


def _select(widget: dict[str, Any]) -> str | None:
    parts = [f'<select name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_text(group_name)}">')
        for option in options:
            if option["template_name"] != "django/forms/widgets/select_option.html":
                return None
            value, attrs = _escape(option["value"]), _attrs(option["attrs"]) if option["attrs"] else ""
            parts.append(f'\n  <option value="{value}"{attrs}>{_text(option["label"])}</option>\n')
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


class WidgetRenderer(DjangoTemplates):
    """Django's form renderer, with the widgets the workspace shows built in Python."""

    WIDGETS: dict[str, Callable[[dict[str, Any]], str | None]] = {
        "django/forms/widgets/input.html": _input,
        "django/forms/widgets/text.html": _input,
        "django/forms/widgets/hidden.html": _input,
        "django/forms/widgets/clearable_file_input.html": _file_input,
        "django/forms/widgets/textarea.html": _textarea,
        "django/forms/widgets/select.html": _select,
    }

    def render(self, template_name: str, context: dict[str, Any], request: HttpRequest | None = None) -> str:
        build = self.WIDGETS.get(template_name)
        markup = build(context["widget"]) if build is not None else None
        return super().render(template_name, context, request) if markup is None else markup


RENDERER = WidgetRenderer()
