"""Every write of the knowledge base: the help centre's look, categories and sections, articles
and their translations (workflow, versions, restore), files, votes, and the changelog with its
e-mail subscriptions.

An article is written in one language (its source locale) and translated into others, one
Translation per locale. Each save of a translation is a new Version; a translation records the
source's version it was written against (`source_version`) and is outdated once the source has
moved on. Restoring an old version saves its content again as a new version: history is never
rewritten.

Workflow: draft ⇄ review (any editor), → published (supervisors and admins, from draft, review
or archived), published → archived or back to draft (supervisors and admins), archived → draft.
Writing (saving, restoring, files) is for every editor (agents too), whatever the status: a
translation has one text, so an edit of a published one is live at once. Changing who may read
a published article, or deleting it, is for supervisors and admins.

What the search index sees changes after commit: every service that changes a translation's
content, status or its article's visibility queues `search.index_translation` (or unindex) in
`transaction.on_commit`.

Release notes are announced once: `changelog_announce_due` claims an entry with a conditional
UPDATE of `announced_at` (two workers cannot both claim it) and queues its e-mails in the same
transaction, so a failure leaves it unclaimed for the next run.
"""

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import PurePosixPath
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import translation as i18n
from django.utils.text import slugify
from django.utils.translation import gettext as _

from frontdesk.accounts.models import EDITOR_ROLES, MANAGER_ROLES, Contact, User
from frontdesk.core.errors import Conflict, ValidationError
from frontdesk.core.services import UNSET, Unset, require_role
from frontdesk.kb.markdown import file_names, render
from frontdesk.kb.models import (
    Article,
    ArticleFile,
    ArticleStatus,
    Category,
    ChangelogEntry,
    ChangelogSubscription,
    HelpCentre,
    Section,
    Translation,
    Version,
    Visibility,
    Vote,
)
from frontdesk.mail.models import OutboundKind
from frontdesk.mail.services import outbound_queue_email

CONFIRM_SALT = "frontdesk.kb.changelog.confirm"
UNSUBSCRIBE_SALT = "frontdesk.kb.changelog.unsubscribe"
CONFIRM_WINDOW = timedelta(days=7)  # how long a confirmation link works
RESEND_AFTER = timedelta(minutes=5)  # a pending address gets at most one confirmation mail per this
CHANGELOG_PATH = "/help/changelog/"

TITLE_LENGTH = 200
NOTE_LENGTH = 200
COMMENT_LENGTH = 2000
BODY_LENGTH = 200_000
READER_LENGTH = 64
NAME_LENGTH = 100
TAG_LENGTH = 40
MAX_TAGS = 10

# What a locale may look like (whole string): "en", "pt-br", "zh-hans".
LOCALE = re.compile(r"[a-z]{2,3}(-[a-z0-9]{2,8})?")
COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

# (from, to) → the roles that may take a translation there.
TRANSITIONS: dict[tuple[str, str], frozenset[str]] = {
    (ArticleStatus.DRAFT, ArticleStatus.REVIEW): EDITOR_ROLES,
    (ArticleStatus.REVIEW, ArticleStatus.DRAFT): EDITOR_ROLES,
    (ArticleStatus.DRAFT, ArticleStatus.PUBLISHED): MANAGER_ROLES,
    (ArticleStatus.REVIEW, ArticleStatus.PUBLISHED): MANAGER_ROLES,
    (ArticleStatus.PUBLISHED, ArticleStatus.ARCHIVED): MANAGER_ROLES,
    (ArticleStatus.PUBLISHED, ArticleStatus.DRAFT): MANAGER_ROLES,
    (ArticleStatus.ARCHIVED, ArticleStatus.DRAFT): MANAGER_ROLES,
    (ArticleStatus.ARCHIVED, ArticleStatus.PUBLISHED): MANAGER_ROLES,
}

# What an article may carry, by the type its first bytes show. Office documents are zip (OOXML,
# ODF) or OLE containers whatever they hold, so for those the name's extension decides the type.
_SNIFF: list[tuple[int, bytes, str]] = [
    (0, b"\x89PNG\r\n\x1a\n", "image/png"),
    (0, b"\xff\xd8\xff", "image/jpeg"),
    (0, b"GIF87a", "image/gif"),
    (0, b"GIF89a", "image/gif"),
    (0, b"%PDF-", "application/pdf"),
    (0, b"\x1a\x45\xdf\xa3", "video/webm"),
    (4, b"ftyp", "video/mp4"),
    (0, b"PK\x03\x04", "application/zip"),
    (0, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/x-ole-storage"),
]
_EXTENSIONS = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    "image/webp": "webp",
    "application/pdf": "pdf",
    "video/mp4": "mp4",
    "video/webm": "webm",
}
_OFFICE = {
    "application/zip": {
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "odt": "application/vnd.oasis.opendocument.text",
        "ods": "application/vnd.oasis.opendocument.spreadsheet",
        "odp": "application/vnd.oasis.opendocument.presentation",
    },
    "application/x-ole-storage": {
        "doc": "application/msword",
        "xls": "application/vnd.ms-excel",
        "ppt": "application/vnd.ms-powerpoint",
    },
}
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


# --- checks shared by the services below -------------------------------------------------------


def normalise_locale(value: str, *, field: str = "locale") -> str:
    """`es`, `pt-br`: lower case, hyphenated; any well-formed language code, not only the UI's."""
    locale = (value or "").strip().lower().replace("_", "-")
    if not LOCALE.fullmatch(locale):
        raise ValidationError(
            _("“%(value)s” is not a language code (like en, es, pt-br).") % {"value": value}, field=field
        )
    return locale


def slug_for(title: str) -> str:
    """The URL words of a title, keeping its letters (ą, ž, ñ, é). Article URLs carry the id,
    so slugs need not be unique."""
    return slugify(title, allow_unicode=True)[:220].strip("-") or "article"


def _text(value: str, field: str, limit: int, *, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationError(_("This field is required."), field=field)
    if len(text) > limit:
        raise ValidationError(
            _("At most %(limit)s characters (this has %(length)s).") % {"limit": limit, "length": len(text)},
            field=field,
        )
    return text


def _body(value: str) -> str:
    body = value or ""
    if len(body) > BODY_LENGTH:
        raise ValidationError(
            _("At most %(limit)s characters (this has %(length)s).") % {"limit": BODY_LENGTH, "length": len(body)},
            field="body",
        )
    return body


def _choice(value: str, choices: Iterable[str], field: str) -> str:
    allowed = list(choices)
    if value not in allowed:
        raise ValidationError(
            _("“%(value)s” is not allowed; use one of %(choices)s.") % {"value": value, "choices": ", ".join(allowed)},
            field=field,
        )
    return value


def _position(value: int, field: str = "position") -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValidationError(_("The order is a whole number, 0 or more."), field=field)
    return value


def _slug(value: str) -> str:
    slug = (value or "").strip().lower()
    if not _SLUG.match(slug) or len(slug) > 100:
        raise ValidationError(
            _("Use lower-case letters, digits and hyphens (at most 100), like “getting-started”."), field="slug"
        )
    return slug


def _names(values: Mapping[str, str] | None, field: str, *, required: bool) -> dict[str, str]:
    names: dict[str, str] = {}
    for locale, name in (values or {}).items():
        text = _text(str(name or ""), field, NAME_LENGTH if field == "names" else 2000, required=False)
        if text:
            names[normalise_locale(locale, field=field)] = text
    if required and not names:
        raise ValidationError(_("Give a name in at least one language."), field=field)
    return names


def _index_on_commit(translation_ids: Iterable[int]) -> None:
    from frontdesk.kb import search

    for translation_id in translation_ids:
        transaction.on_commit(partial(search.index_translation, translation_id))


def _unindex_on_commit(translation_ids: Iterable[int]) -> None:
    from frontdesk.kb import search

    for translation_id in translation_ids:
        transaction.on_commit(partial(search.unindex_translation, translation_id))


# --- the help centre's look -------------------------------------------------------------------


def help_centre() -> HelpCentre:
    """The single settings row, created with its defaults the first time."""
    centre, _created = HelpCentre.objects.get_or_create(pk=1)
    return centre


def help_centre_update(
    *,
    actor: User,
    now: datetime,
    name: str | Unset = UNSET,
    primary_colour: str | Unset = UNSET,
    accent_colour: str | Unset = UNSET,
    logo: UploadedFile | Unset | None = UNSET,
) -> HelpCentre:
    """Name, colours (#rrggbb) and logo (PNG, JPEG, GIF or WebP; None removes it)."""
    require_role(actor, MANAGER_ROLES, "change the help centre's look")
    centre = help_centre()
    if not isinstance(name, Unset):
        centre.name = _text(name, "name", NAME_LENGTH)
    for field, value in (("primary_colour", primary_colour), ("accent_colour", accent_colour)):
        if not isinstance(value, Unset):
            if not isinstance(value, str) or not COLOUR.fullmatch(value):
                raise ValidationError(_("A colour is written #rrggbb, like #1d4ed8."), field=field)
            setattr(centre, field, value.lower())
    if not isinstance(logo, Unset):
        if logo is None:
            centre.logo = ""
        else:
            content_type = _checked_upload(logo, "logo")
            if content_type not in IMAGE_TYPES:
                raise ValidationError(_("The logo must be a PNG, JPEG, GIF or WebP image."), field="logo")
            centre.logo.save(f"logo.{_EXTENSIONS[content_type]}", logo, save=False)
    centre.updated_at = now
    centre.save()
    return centre


# --- categories and sections ------------------------------------------------------------------


def category_save(
    *,
    actor: User,
    category: Category | None = None,
    slug: str,
    names: Mapping[str, str],
    descriptions: Mapping[str, str] | None = None,
    position: int = 0,
) -> Category:
    require_role(actor, MANAGER_ROLES, "change the help centre's categories")
    values = {
        "slug": _slug(slug),
        "names": _names(names, "names", required=True),
        "descriptions": _names(descriptions, "descriptions", required=False),
        "position": _position(position),
    }
    category = category or Category()
    if Category.objects.filter(slug=values["slug"]).exclude(pk=category.pk).exists():
        raise Conflict(_("Another category has the slug “%(slug)s”.") % {"slug": values["slug"]}, field="slug")
    for name, value in values.items():
        setattr(category, name, value)
    category.save()
    return category


def category_delete(*, actor: User, category: Category) -> None:
    """Deletes an empty category with its sections; one that still holds articles is kept."""
    require_role(actor, MANAGER_ROLES, "change the help centre's categories")
    count = Article.objects.filter(section__category=category).count()
    if count:
        raise Conflict(
            _("This category holds %(count)s articles; move or delete them first.") % {"count": count},
            field="category",
        )
    category.delete()


def section_save(
    *,
    actor: User,
    section: Section | None = None,
    category: Category,
    slug: str,
    names: Mapping[str, str],
    position: int = 0,
) -> Section:
    require_role(actor, MANAGER_ROLES, "change the help centre's sections")
    values = {
        "category": category,
        "slug": _slug(slug),
        "names": _names(names, "names", required=True),
        "position": _position(position),
    }
    section = section or Section()
    if Section.objects.filter(slug=values["slug"]).exclude(pk=section.pk).exists():
        raise Conflict(_("Another section has the slug “%(slug)s”.") % {"slug": values["slug"]}, field="slug")
    for name, value in values.items():
        setattr(section, name, value)
    section.save()
    return section


def section_delete(*, actor: User, section: Section) -> None:
    require_role(actor, MANAGER_ROLES, "change the help centre's sections")
    count = section.articles.count()
    if count:
        raise Conflict(
            _("This section holds %(count)s articles; move or delete them first.") % {"count": count},
            field="section",
        )
    section.delete()


# --- articles and translations ----------------------------------------------------------------


def article_create(
    *, actor: User, section: Section, visibility: str, locale: str, title: str, body: str, now: datetime
) -> Translation:
    """A new article written in `locale` (its source language): its first translation, a draft,
    at version 1."""
    require_role(actor, EDITOR_ROLES, "write articles")
    visibility = _choice(visibility, Visibility.values, "visibility")
    locale = normalise_locale(locale)
    title = _text(title, "title", TITLE_LENGTH)
    body = _body(body)
    with transaction.atomic():
        article = Article.objects.create(
            section=section, visibility=visibility, source_locale=locale, created_at=now, created_by=actor
        )
        return _save(article, None, locale=locale, title=title, body=body, actor=actor, now=now, note="")


def translation_save(
    *, actor: User, article: Article, locale: str, title: str, body: str, now: datetime, note: str = ""
) -> Translation:
    """Creates the article's translation into `locale` (a draft) or edits it; each change is a new
    version. Saving the source makes the other languages outdated; saving another language marks
    it up to date with the source's current version (saving it unchanged does too)."""
    require_role(actor, EDITOR_ROLES, "write articles")
    locale = normalise_locale(locale)
    title = _text(title, "title", TITLE_LENGTH)
    note = _text(note, "note", NOTE_LENGTH, required=False)
    body = _body(body)
    with transaction.atomic():
        # The article's row serialises saves of its translations, so a translation reads the
        # source's version as it is, not as a concurrent save of the source leaves it.
        locked = Article.objects.select_for_update().get(pk=article.pk)
        current = Translation.objects.filter(article=locked, locale=locale).first()
        return _save(locked, current, locale=locale, title=title, body=body, actor=actor, now=now, note=note)


def translation_restore(*, actor: User, translation: Translation, number: int, now: datetime) -> Translation:
    """Saves version `number`'s title and body again, as a new version."""
    require_role(actor, EDITOR_ROLES, "write articles")
    with transaction.atomic():
        article = Article.objects.select_for_update().get(pk=translation.article_id)
        current = Translation.objects.get(pk=translation.pk)
        old = current.versions.filter(number=number).first()
        if old is None:
            raise ValidationError(_("This translation has no version %(number)s.") % {"number": number}, field="number")
        return _save(
            article,
            current,
            locale=current.locale,
            title=old.title,
            body=old.body,
            actor=actor,
            now=now,
            note=_("Restored version %(number)s") % {"number": number},
        )


def _save(
    article: Article,
    current: Translation | None,
    *,
    locale: str,
    title: str,
    body: str,
    actor: User | None,
    now: datetime,
    note: str,
) -> Translation:
    """Inside the caller's transaction, with the article's row locked."""
    is_source = locale == article.source_locale
    source_version: int | None = None
    if not is_source:
        source = Translation.objects.filter(article=article, locale=article.source_locale).first()
        source_version = source.version if source else None
    if current is not None:
        unchanged = current.title == title and current.body == body
        if unchanged and (is_source or current.source_version == source_version):
            return current  # nothing to record: no version, and the other languages stay up to date
        current.version += 1
    else:
        current = Translation(article=article, locale=locale, status=ArticleStatus.DRAFT, version=1)
    rendered = render(body, files=file_names(article.files.all()))
    current.title = title
    current.slug = slug_for(title)
    current.body = body
    current.html = rendered.html
    current.text = rendered.text
    current.source_version = source_version
    current.updated_at = now
    current.updated_by = actor
    current.save()
    Version.objects.create(
        translation=current,
        number=current.version,
        title=title,
        body=body,
        status=current.status,
        created_at=now,
        author=actor,
        note=note,
    )
    _index_on_commit([current.pk])
    return current


def translation_set_status(*, actor: User, translation: Translation, status: str, now: datetime) -> Translation:
    """Moves a translation through the workflow (see the module's docstring); the same status is a no-op."""
    status = _choice(status, ArticleStatus.values, "status")
    with transaction.atomic():
        current = Translation.objects.select_for_update().get(pk=translation.pk)
        if current.status == status:
            return current
        roles = TRANSITIONS.get((current.status, status))
        if roles is None:
            raise Conflict(
                _("A translation that is %(old)s cannot become %(new)s.")
                % {"old": ArticleStatus(current.status).label, "new": ArticleStatus(status).label},
                field="status",
            )
        require_role(actor, roles, f"make an article {ArticleStatus(status).label.lower()}")
        current.status = status
        if status == ArticleStatus.PUBLISHED:
            current.published_at = now
        current.save(update_fields=["status", "published_at"])
        _index_on_commit([current.pk])
    return current


def article_update(
    *,
    actor: User,
    article: Article,
    section: Section | Unset = UNSET,
    visibility: str | Unset = UNSET,
    position: int | Unset = UNSET,
) -> Article:
    """Moves an article, reorders it or changes who may read it (once published, supervisors and
    admins only: it changes who sees it)."""
    require_role(actor, EDITOR_ROLES, "write articles")
    with transaction.atomic():
        current = Article.objects.select_for_update().get(pk=article.pk)
        if not isinstance(section, Unset):
            current.section = section
        if not isinstance(position, Unset):
            current.position = _position(position)
        if not isinstance(visibility, Unset):
            visibility = _choice(visibility, Visibility.values, "visibility")
            if visibility != current.visibility and _is_published(current):
                require_role(actor, MANAGER_ROLES, "change who may read a published article")
            current.visibility = visibility
        current.save()
        _index_on_commit(current.translations.values_list("pk", flat=True))
    return current


def article_delete(*, actor: User, article: Article) -> None:
    """Deletes an article in every language with its history and files. One that is published
    in some language is for supervisors and admins to delete."""
    require_role(actor, EDITOR_ROLES, "delete articles")
    with transaction.atomic():
        current = Article.objects.select_for_update().get(pk=article.pk)
        if _is_published(current):
            require_role(actor, MANAGER_ROLES, "delete a published article")
        translation_ids = list(current.translations.values_list("pk", flat=True))
        stored = [file.file.name for file in current.files.all() if file.file.name]
        current.delete()
        _unindex_on_commit(translation_ids)
        transaction.on_commit(partial(_delete_stored, stored))


def _is_published(article: Article) -> bool:
    return article.translations.filter(status=ArticleStatus.PUBLISHED).exists()


def _delete_stored(names: Sequence[str]) -> None:
    from django.core.files.storage import default_storage

    for name in names:
        default_storage.delete(name)


# --- files ------------------------------------------------------------------------------------


def _sniff(upload: UploadedFile) -> str | None:
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image/webp"
    return next((kind for offset, magic, kind in _SNIFF if head[offset:].startswith(magic)), None)


def _checked_upload(upload: UploadedFile, field: str) -> str:
    """The file's real type, or ValidationError: empty, too big, or of a kind articles do not carry."""
    name = _display_name(upload)
    limit = settings.FRONTDESK_MAX_ATTACHMENT_BYTES
    size = upload.size or 0
    if size == 0:
        raise ValidationError(_("%(name)s is empty.") % {"name": name}, field=field)
    if size > limit:
        raise ValidationError(
            _("%(name)s is %(size)s bytes; the limit is %(limit)s bytes.")
            % {"name": name, "size": f"{size:,}", "limit": f"{limit:,}"},
            field=field,
        )
    sniffed = _sniff(upload)
    extension = PurePosixPath(name).suffix.lower().lstrip(".")
    if sniffed in _OFFICE:
        sniffed = _OFFICE[sniffed].get(extension)
    if sniffed is None:
        raise ValidationError(
            _("%(name)s: articles take images (PNG, JPEG, GIF, WebP), PDF, office documents and MP4 or WebM videos.")
            % {"name": name},
            field=field,
        )
    return sniffed


def _display_name(upload: UploadedFile) -> str:
    name = (upload.name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[-255:] or "file"


def article_file_add(*, actor: User, article: Article, upload: UploadedFile, now: datetime) -> ArticleFile:
    """Stores an image, PDF, office document or video for the article's Markdown to name (by its
    name, made unique within the article). The stored file's extension is the one of its real
    type, whatever the upload was called."""
    require_role(actor, EDITOR_ROLES, "add files to articles")
    content_type = _checked_upload(upload, "upload")
    name = _display_name(upload)
    stem, extension = PurePosixPath(name).stem, PurePosixPath(name).suffix.lower()
    stored_extension = _EXTENSIONS.get(content_type) or extension.lstrip(".")
    with transaction.atomic():
        locked = Article.objects.select_for_update().get(pk=article.pk)
        taken = set(locked.files.values_list("name", flat=True))
        candidate, number = name, 1
        while candidate in taken:
            number += 1
            candidate = f"{stem}-{number}{extension}"
        file = ArticleFile(
            article=locked, name=candidate, content_type=content_type, size=upload.size or 0, created_at=now
        )
        file.file.save(f"{slugify(stem)[:80] or 'file'}.{stored_extension}", upload, save=False)
        file.save()
        _rerender_naming(locked, candidate)
    return file


def article_file_delete(*, actor: User, file: ArticleFile) -> None:
    require_role(actor, EDITOR_ROLES, "remove files from articles")
    with transaction.atomic():
        article = Article.objects.select_for_update().get(pk=file.article_id)
        stored, name = file.file.name or "", file.name
        file.delete()
        _rerender_naming(article, name)
        transaction.on_commit(partial(_delete_stored, [stored]))


def _rerender_naming(article: Article, name: str) -> None:
    """Translations whose Markdown names the file show it (or stop showing it) at once."""
    files = file_names(article.files.all())
    for translation in article.translations.filter(body__contains=name):
        rendered = render(translation.body, files=files)
        translation.html, translation.text = rendered.html, rendered.text
        translation.save(update_fields=["html", "text"])


# --- votes ------------------------------------------------------------------------------------


def vote_reader(contact: Contact | None, anonymous: str) -> str:
    """Whose vote it is, hashed: the signed-in customer's (the same on the help centre's page and
    through the API), else `anonymous`, an opaque id with its origin ("api:…", "reader:…")."""
    return hashlib.sha256((f"contact:{contact.pk}" if contact is not None else anonymous).encode()).hexdigest()


def vote_record(
    *,
    translation: Translation,
    helpful: bool,
    comment: str = "",
    reader: str,
    contact: Contact | None = None,
    now: datetime,
) -> Vote:
    """A reader's "was this helpful?" on a published translation: one vote per reader (a signed-in
    customer's id or a hash of an anonymous session), changed by voting again. The counters on the
    translation follow. A new comment replaces the old one; an empty one keeps it."""
    reader = _text(reader, "reader", READER_LENGTH)
    comment = _text(comment, "comment", COMMENT_LENGTH, required=False)
    with transaction.atomic():
        current = Translation.objects.select_for_update().get(pk=translation.pk)
        if current.status != ArticleStatus.PUBLISHED:
            raise Conflict(_("Only published articles take votes."), field="translation")
        vote = Vote.objects.filter(translation=current, reader=reader).first()
        counters: dict[str, Any] = {}
        if vote is None:
            vote = Vote(translation=current, reader=reader, helpful=helpful, comment=comment, contact=contact)
            counters["helpful" if helpful else "unhelpful"] = F("helpful" if helpful else "unhelpful") + 1
        elif vote.helpful != helpful:
            gained, lost = ("helpful", "unhelpful") if helpful else ("unhelpful", "helpful")
            counters = {gained: F(gained) + 1, lost: F(lost) - 1}
        vote.helpful = bool(helpful)
        vote.comment = comment or vote.comment
        vote.contact = contact or vote.contact
        vote.created_at = now
        vote.save()
        if counters:
            Translation.objects.filter(pk=current.pk).update(**counters)
    translation.refresh_from_db(fields=["helpful", "unhelpful"])
    return vote


# --- the changelog ----------------------------------------------------------------------------


def normalise_tags(tags: Sequence[str]) -> list[str]:
    """Lower-case, hyphenated, each once, in the order given."""
    seen: list[str] = []
    for tag in tags:
        name = slugify(str(tag), allow_unicode=True)[:TAG_LENGTH]
        if name and name not in seen:
            seen.append(name)
    if len(seen) > MAX_TAGS:
        raise ValidationError(_("At most %(count)s tags.") % {"count": MAX_TAGS}, field="tags")
    return seen


def changelog_save(
    *,
    actor: User,
    entry: ChangelogEntry | None = None,
    locale: str,
    title: str,
    body: str,
    tags: Sequence[str],
    published_on: date,
    is_published: bool,
    now: datetime,
) -> ChangelogEntry:
    """Creates or edits a release note. Published entries dated today or before are e-mailed to
    subscribers once (changelog_announce_due); editing an announced entry does not send it again."""
    require_role(actor, MANAGER_ROLES, "write release notes")
    if not isinstance(published_on, date) or isinstance(published_on, datetime):
        raise ValidationError(_("Give the date as YYYY-MM-DD."), field="published_on")
    values = {
        "locale": normalise_locale(locale),
        "title": _text(title, "title", TITLE_LENGTH),
        "body": _body(body),
        "html": render(body or "").html,
        "tags": normalise_tags(tags),
        "published_on": published_on,
        "is_published": bool(is_published),
        "updated_at": now,
    }
    entry = entry or ChangelogEntry(created_at=now)
    for name, value in values.items():
        setattr(entry, name, value)
    if entry.pk is None:
        entry.save()
    else:
        # Not announced_at: the caller's copy may predate the announcement.
        entry.save(update_fields=list(values))
    return entry


def changelog_delete(*, actor: User, entry: ChangelogEntry) -> None:
    require_role(actor, MANAGER_ROLES, "delete release notes")
    entry.delete()


class _NoMailbox(Exception):
    """No mailbox can send: the entry is left unannounced for the next run."""


def changelog_announce_due(*, now: datetime) -> int:
    """E-mails each published entry dated today or before that was not announced to the confirmed
    subscribers of its language, once; returns how many e-mails went to the outbox. Safe to run
    twice at once: an entry is claimed by the UPDATE that sets its `announced_at`."""
    queued = 0
    due = ChangelogEntry.objects.filter(
        is_published=True, announced_at__isnull=True, published_on__lte=now.date()
    ).order_by("published_on", "pk")
    for entry_id in list(due.values_list("pk", flat=True)):
        try:
            with transaction.atomic():
                claimed = ChangelogEntry.objects.filter(
                    pk=entry_id, announced_at__isnull=True, is_published=True
                ).update(announced_at=now)
                if not claimed:
                    continue  # another worker has it, or it was unpublished meanwhile
                entry = ChangelogEntry.objects.get(pk=entry_id)
                subscribers = ChangelogSubscription.objects.filter(
                    locale=entry.locale, confirmed_at__isnull=False, unsubscribed_at__isnull=True
                ).order_by("pk")
                for subscription in subscribers:
                    if _queue_announcement(entry, subscription, now) is None:
                        raise _NoMailbox
                    queued += 1
        except _NoMailbox:
            break
    return queued


def _queue_announcement(entry: ChangelogEntry, subscription: ChangelogSubscription, now: datetime) -> object:
    unsubscribe = subscription_cancel_url(subscription)
    with i18n.override(subscription.locale):
        context = {
            "entry": entry,
            "text": render(entry.body).text,
            "html": _absolute(entry.html),
            "changelog_url": f"{settings.BASE_URL}{CHANGELOG_PATH}",
            "unsubscribe_url": unsubscribe,
        }
        text = render_to_string("kb/changelog_announcement.txt", context)
        html = render_to_string("kb/changelog_announcement.html", context)
        subject = _("What's new: %(title)s") % {"title": entry.title}
    return outbound_queue_email(
        to=subscription.email,
        subject=subject,
        text=text,
        html=html,
        kind=OutboundKind.RELEASE_NOTE,
        ticket=None,
        now=now,
        headers={"List-Unsubscribe": f"<{unsubscribe}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )


def _absolute(html: str) -> str:
    """Links and images of the site's own pages, absolute, for a mail program."""
    return re.sub(r'(\s(?:href|src))="/(?!/)', rf'\1="{settings.BASE_URL}/', html)


# --- subscriptions (double opt-in) ------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    subscription: ChangelogSubscription
    issued_at: datetime | None


def subscription_confirm_url(subscription: ChangelogSubscription, *, now: datetime) -> str:
    token = signing.Signer(salt=CONFIRM_SALT).sign_object(
        {"s": subscription.pk, "e": subscription.email, "t": int(now.timestamp())}
    )
    return f"{settings.BASE_URL}{CHANGELOG_PATH}confirm/{token}/"


def subscription_cancel_url(subscription: ChangelogSubscription) -> str:
    """The unsubscribe link of every release-note mail: the same in every mail, it does not expire."""
    token = signing.Signer(salt=UNSUBSCRIBE_SALT).sign_object({"s": subscription.pk, "e": subscription.email})
    return f"{settings.BASE_URL}{CHANGELOG_PATH}unsubscribe/{token}/"


def _load(token: str, salt: str) -> _Token:
    invalid = ValidationError(_("This link is not valid. Copy the whole link from the e-mail."), field="token")
    try:
        data = signing.Signer(salt=salt).unsign_object(token)
    except signing.BadSignature:
        raise invalid from None
    if not isinstance(data, dict) or not isinstance(data.get("s"), int):
        raise invalid
    subscription = ChangelogSubscription.objects.filter(pk=data["s"], email=data.get("e")).first()
    if subscription is None:
        raise invalid
    issued = data.get("t")
    return _Token(subscription, datetime.fromtimestamp(issued, tz=UTC) if isinstance(issued, int) else None)


def subscription_request(*, email: str, locale: str, now: datetime) -> None:
    """Asks `email` to confirm it wants release notes in `locale` (double opt-in). Says nothing
    about whether the address is subscribed already: a confirmed address gets no mail, a pending
    one at most one per few minutes."""
    address = (email or "").strip().lower()
    try:
        validate_email(address)
    except DjangoValidationError:
        raise ValidationError(_("Enter a valid e-mail address."), field="email") from None
    locale = normalise_locale(locale)
    with transaction.atomic():
        subscription = ChangelogSubscription.objects.select_for_update().filter(email=address).first()
        if subscription is None:
            try:
                with transaction.atomic():
                    subscription = ChangelogSubscription.objects.create(email=address, locale=locale, created_at=now)
            except IntegrityError:
                return  # a simultaneous request for the same address sends the mail
        elif subscription.confirmed_at and not subscription.unsubscribed_at:
            if subscription.locale != locale:
                subscription.locale = locale
                subscription.save(update_fields=["locale"])
            return
        elif subscription.created_at > now - RESEND_AFTER:
            return
        else:
            # created_at of an unconfirmed row is when the latest confirmation mail was asked for.
            subscription.locale, subscription.created_at = locale, now
            subscription.save(update_fields=["locale", "created_at"])
        with i18n.override(locale):
            context = {"confirm_url": subscription_confirm_url(subscription, now=now), "days": CONFIRM_WINDOW.days}
            text = render_to_string("kb/changelog_confirm.txt", context)
            subject = _("Confirm your subscription to our release notes")
        outbound_queue_email(
            to=address, subject=subject, text=text, kind=OutboundKind.RELEASE_NOTE, ticket=None, now=now
        )


def subscription_confirm(*, token: str, now: datetime) -> ChangelogSubscription:
    """The confirmation link: the address now gets release notes. Confirming twice is harmless;
    a link older than a week, or older than the address's unsubscription, is refused."""
    loaded = _load(token, CONFIRM_SALT)
    subscription = loaded.subscription
    if loaded.issued_at is None or now - loaded.issued_at > CONFIRM_WINDOW:
        raise ValidationError(_("This link has expired; subscribe again to get a new one."), field="token")
    if subscription.unsubscribed_at and loaded.issued_at < subscription.unsubscribed_at:
        raise ValidationError(_("This link has expired; subscribe again to get a new one."), field="token")
    if subscription.confirmed_at and not subscription.unsubscribed_at:
        return subscription
    subscription.confirmed_at, subscription.unsubscribed_at = now, None
    subscription.save(update_fields=["confirmed_at", "unsubscribed_at"])
    return subscription


def subscription_cancel(*, token: str, now: datetime) -> ChangelogSubscription:
    """The unsubscribe link: no more release notes. Cancelling twice is harmless."""
    subscription = _load(token, UNSUBSCRIBE_SALT).subscription
    if subscription.unsubscribed_at is None:
        subscription.unsubscribed_at = now
        subscription.save(update_fields=["unsubscribed_at"])
    return subscription
