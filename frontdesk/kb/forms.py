"""Forms of the knowledge-base editor (/kb/…). They parse and show input; kb.services decides and writes.

Names and descriptions of categories and sections are per language: one field per language of
the site (`name_en`, `name_es`, …); a language the site does not offer keeps what it had.
"""

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from frontdesk.kb.models import Article, ArticleStatus, Category, ChangelogEntry, Section, Visibility
from frontdesk.kb.selectors import localised
from frontdesk.kb.services import COLOUR, LOCALE
from frontdesk.reports.periods import days_period
from frontdesk.workspace.forms import ANY, FixedChoices, ReadOnlyForm, ServiceForm, WorkspaceForm

LANGUAGE_CHOICES = [(code, name) for code, name in settings.LANGUAGES]
REPORT_DAYS = 30


def section_choices(sections: Sequence[Section], locale: str) -> list[tuple[str, str]]:
    """ "Category › Section" in the editor's language (else another, else the slug)."""
    return [(str(section.pk), f"{_name(section.category, locale)} › {_name(section, locale)}") for section in sections]


def _name(place: Category | Section, locale: str) -> str:
    return localised(place.names, locale, place.slug)


def _textarea(rows: int, **attrs: str) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": str(rows), "spellcheck": "true", **attrs})


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


# --- article list -------------------------------------------------------------------------------


class ArticleFilterForm(WorkspaceForm):
    """The filters above the article list. A value that does not parse is ignored, never an error page."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    locale = forms.ChoiceField(label=_("Language"), required=False, choices=FixedChoices(ANY, LANGUAGE_CHOICES))
    status = forms.ChoiceField(label=_("Status"), required=False, choices=FixedChoices(ANY, ArticleStatus.choices))
    outdated = forms.BooleanField(label=_("Outdated translations only"), required=False)

    def filters(self) -> dict[str, Any]:
        """The arguments of kb.selectors.editor_articles (the valid ones)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "q": data.get("q", "") or "",
            "locale": data.get("locale", "") or "",
            "status": data.get("status", "") or "",
            "outdated": bool(data.get("outdated")),
        }


# --- articles and translations -----------------------------------------------------------------


class _ArticlePlaceForm(ServiceForm):
    """A form that puts an article in one of the sections it offers."""

    section = forms.TypedChoiceField(label=_("Section"), coerce=int)

    def _offer(self, sections: Sequence[Section], locale: str) -> None:
        self.sections = {section.pk: section for section in sections}
        self.fields["section"].choices = FixedChoices(section_choices(sections, locale))  # type: ignore[attr-defined]

    def _chosen_section(self) -> Section:
        return self.sections[self.cleaned_data["section"]]


class ArticleCreateForm(_ArticlePlaceForm):
    visibility = forms.ChoiceField(label=_("Visibility"), choices=FixedChoices(Visibility.choices))
    locale = forms.ChoiceField(label=_("Language"), choices=FixedChoices(LANGUAGE_CHOICES))
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(label=_("Body (Markdown)"), required=False, widget=_textarea(18, **{"class": "kb-markdown"}))

    def __init__(self, data: Any = None, *, sections: Sequence[Section], locale: str) -> None:
        super().__init__(data, initial={"locale": locale if locale in dict(LANGUAGE_CHOICES) else "en"})
        self._offer(sections, locale)

    def article_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "section": self._chosen_section(),
            "visibility": data["visibility"],
            "locale": data["locale"],
            "title": data["title"],
            "body": data["body"],
        }


class ArticleSettingsForm(_ArticlePlaceForm, ReadOnlyForm):
    """Where an article is shown and to whom: its section, visibility and order."""

    visibility = forms.ChoiceField(label=_("Visibility"), choices=FixedChoices(Visibility.choices))
    position = forms.IntegerField(label=_("Order"), min_value=0, max_value=100_000)

    def __init__(self, data: Any = None, *, article: Article, sections: Sequence[Section], locale: str) -> None:
        initial = {"section": article.section_id, "visibility": article.visibility, "position": article.position}
        super().__init__(data, initial=initial, prefix="settings")
        self._offer(sections, locale)

    def article_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"section": self._chosen_section(), "visibility": data["visibility"], "position": data["position"]}


class TranslationForm(ReadOnlyForm):
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(label=_("Body (Markdown)"), required=False, widget=_textarea(22, **{"class": "kb-markdown"}))
    note = forms.CharField(
        label=_("Version note"),
        required=False,
        max_length=200,
        help_text=_("What changed, for the version history (optional)."),
    )

    def translation_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"title": data["title"], "body": data["body"], "note": data["note"]}


class PreviewForm(forms.Form):
    """The Markdown the editor is writing, for the preview beside it (names as in TranslationForm)."""

    body = forms.CharField(required=False, max_length=500_000)


class NewTranslationForm(WorkspaceForm):
    """The language of a translation to write: one of the site's, or another typed as a code."""

    locale = forms.CharField(label=_("Language code"), max_length=10)

    def clean_locale(self) -> str:
        locale: str = self.cleaned_data["locale"].strip().lower().replace("_", "-")
        if not LOCALE.fullmatch(locale):
            raise forms.ValidationError(_("Type a language code such as en, es or pt-br."), code="invalid")
        return locale


class VersionPickForm(forms.Form):
    """Which two versions to compare: ?a=…&b=…"""

    a = forms.IntegerField(min_value=1, required=False)
    b = forms.IntegerField(min_value=1, required=False)


class FileUploadForm(ServiceForm):
    upload = forms.FileField(label=_("File"), help_text=_("An image, a PDF or office document, or an MP4 video."))

    def uploaded(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["upload"]
        return upload


# --- categories and sections ----------------------------------------------------------------------


def _per_language(form: forms.Form, prefix: str, label: Any, *, required_first: bool, textarea: bool = False) -> None:
    for index, (code, name) in enumerate(LANGUAGE_CHOICES):
        form.fields[f"{prefix}_{code}"] = forms.CharField(
            label=f"{label} ({name})",
            required=required_first and index == 0,
            max_length=2000 if textarea else 200,
            widget=_textarea(3) if textarea else forms.TextInput,
        )


def _merged(form: forms.Form, prefix: str, existing: Mapping[str, str]) -> dict[str, str]:
    """The texts typed per language over those stored: an emptied field removes its language; a
    language the site does not offer keeps its text."""
    merged = {code: text for code, text in existing.items() if code not in dict(LANGUAGE_CHOICES)}
    for code, _name_of_language in LANGUAGE_CHOICES:
        text = form.cleaned_data.get(f"{prefix}_{code}", "").strip()
        if text:
            merged[code] = text
    return merged


def _initial_per_language(prefix: str, texts: Mapping[str, str]) -> dict[str, str]:
    return {f"{prefix}_{code}": text for code, text in texts.items()}


class CategoryForm(ServiceForm):
    slug = forms.SlugField(
        label=_("Slug"), max_length=100, help_text=_("Part of its address: letters, digits, hyphens.")
    )
    position = forms.IntegerField(label=_("Order"), min_value=0, max_value=100_000, initial=0)

    def __init__(self, data: Any = None, *, category: Category | None) -> None:
        self.category = category
        initial: dict[str, Any] = {}
        if category is not None:
            initial = {
                "slug": category.slug,
                "position": category.position,
                **_initial_per_language("name", category.names),
                **_initial_per_language("description", category.descriptions or {}),
            }
        super().__init__(data, initial=initial, prefix="category")
        _per_language(self, "name", _("Name"), required_first=True)
        _per_language(self, "description", _("Description"), required_first=False, textarea=True)

    def name_fields(self) -> list[forms.BoundField]:
        return [self[f"name_{code}"] for code, _name in LANGUAGE_CHOICES]

    def description_fields(self) -> list[forms.BoundField]:
        return [self[f"description_{code}"] for code, _name in LANGUAGE_CHOICES]

    def category_arguments(self) -> dict[str, Any]:
        existing = self.category
        return {
            "slug": self.cleaned_data["slug"],
            "position": self.cleaned_data["position"],
            "names": _merged(self, "name", existing.names if existing else {}),
            "descriptions": _merged(self, "description", (existing.descriptions or {}) if existing else {}),
        }


class SectionForm(ServiceForm):
    category = forms.TypedChoiceField(label=_("Category"), coerce=int)
    slug = forms.SlugField(
        label=_("Slug"), max_length=100, help_text=_("Part of its address: letters, digits, hyphens.")
    )
    position = forms.IntegerField(label=_("Order"), min_value=0, max_value=100_000, initial=0)

    def __init__(
        self,
        data: Any = None,
        *,
        section: Section | None,
        categories: Sequence[Category],
        locale: str,
        category_id: int | None = None,
    ) -> None:
        self.section = section
        initial: dict[str, Any] = {"category": category_id}
        if section is not None:
            initial = {
                "category": section.category_id,
                "slug": section.slug,
                "position": section.position,
                **_initial_per_language("name", section.names),
            }
        super().__init__(data, initial=initial, prefix="section")
        self.categories = {category.pk: category for category in categories}
        self.fields["category"].choices = FixedChoices(  # type: ignore[attr-defined]
            [(str(category.pk), _name(category, locale)) for category in categories]
        )
        _per_language(self, "name", _("Name"), required_first=True)

    def name_fields(self) -> list[forms.BoundField]:
        return [self[f"name_{code}"] for code, _name in LANGUAGE_CHOICES]

    def section_arguments(self) -> dict[str, Any]:
        existing = self.section
        return {
            "category": self.categories[self.cleaned_data["category"]],
            "slug": self.cleaned_data["slug"],
            "position": self.cleaned_data["position"],
            "names": _merged(self, "name", existing.names if existing else {}),
        }


# --- the help centre's look -------------------------------------------------------------------------


class ColourInput(forms.TextInput):
    input_type = "color"


class HelpCentreForm(ServiceForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    primary_colour = forms.CharField(label=_("Primary colour"), max_length=7, widget=ColourInput)
    accent_colour = forms.CharField(label=_("Accent colour"), max_length=7, widget=ColourInput)
    logo = forms.FileField(
        label=_("Logo"),
        required=False,
        help_text=_("A PNG, JPEG, GIF or WebP image; leave empty to keep the current one."),
    )
    remove_logo = forms.BooleanField(label=_("Remove the logo"), required=False)

    def clean_primary_colour(self) -> str:
        return self._colour("primary_colour")

    def clean_accent_colour(self) -> str:
        return self._colour("accent_colour")

    def _colour(self, name: str) -> str:
        colour: str = self.cleaned_data[name].strip()
        if not COLOUR.fullmatch(colour):
            raise forms.ValidationError(_("A colour such as #1d4ed8."), code="invalid")
        return colour.lower()

    def look_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        arguments: dict[str, Any] = {
            "name": data["name"],
            "primary_colour": data["primary_colour"],
            "accent_colour": data["accent_colour"],
        }
        if data.get("logo"):
            arguments["logo"] = data["logo"]
        elif data.get("remove_logo"):
            arguments["logo"] = None
        return arguments


# --- changelog ----------------------------------------------------------------------------------------


class ChangelogForm(ServiceForm):
    locale = forms.ChoiceField(label=_("Language"), choices=FixedChoices(LANGUAGE_CHOICES))
    title = forms.CharField(label=_("Title"), max_length=200)
    published_on = forms.DateField(label=_("Date"), widget=_date_input(), input_formats=["%Y-%m-%d"])
    tags = forms.CharField(
        label=_("Tags"), required=False, max_length=300, help_text=_("Separated by commas: new, improved, fixed.")
    )
    body = forms.CharField(label=_("Body (Markdown)"), required=False, widget=_textarea(12, **{"class": "kb-markdown"}))
    is_published = forms.BooleanField(
        label=_("Published"), required=False, help_text=_("Shown in the help centre and e-mailed to subscribers once.")
    )

    def __init__(self, data: Any = None, *, entry: ChangelogEntry | None, today: date, locale: str) -> None:
        if entry is not None:
            initial: dict[str, Any] = {
                "locale": entry.locale,
                "title": entry.title,
                "published_on": entry.published_on,
                "tags": ", ".join(entry.tags or []),
                "body": entry.body,
                "is_published": entry.is_published,
            }
        else:
            initial = {"locale": locale if locale in dict(LANGUAGE_CHOICES) else "en", "published_on": today}
        super().__init__(data, initial=initial)

    def clean_tags(self) -> list[str]:
        """The tags as typed; kb.services.normalise_tags makes them lower-case and each once."""
        return [tag for tag in (part.strip() for part in self.cleaned_data["tags"].split(",")) if tag]

    def changelog_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "locale": data["locale"],
            "title": data["title"],
            "body": data["body"],
            "tags": data["tags"],
            "published_on": data["published_on"],
            "is_published": data["is_published"],
        }


# --- reports ---------------------------------------------------------------------------------------------


class ReportPeriodForm(WorkspaceForm):
    """From and to (both included), in the site's time zone; nothing means the last 30 days."""

    start = forms.DateField(label=_("From"), required=False, widget=_date_input(), input_formats=["%Y-%m-%d"])
    end = forms.DateField(label=_("To"), required=False, widget=_date_input(), input_formats=["%Y-%m-%d"])

    def __init__(self, data: Any, *, today: date) -> None:
        # Nothing asked: the last 30 days, written into the data so that the picker shows them.
        data = data.copy()
        if not data.get("start") and not data.get("end"):
            data["end"] = today.isoformat()
            data["start"] = (today - timedelta(days=REPORT_DAYS - 1)).isoformat()
        super().__init__(data)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("start"), cleaned.get("end")
        if start is None and not self.errors.get("start"):
            self.add_error("start", _("Give a start and an end date."))
        elif end is None and not self.errors.get("end"):
            self.add_error("end", _("Give a start and an end date."))
        elif start and end and end < start:
            self.add_error("end", _("The end date is before the start date."))
        return cleaned

    def bounds(self) -> tuple[datetime, datetime]:
        """The first moment of the start day and the first moment after the end day."""
        period = days_period(self.cleaned_data["start"], self.cleaned_data["end"], zone=timezone.get_current_timezone())
        return period.start, period.end
