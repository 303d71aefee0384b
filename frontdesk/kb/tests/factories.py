"""Factories for the knowledge base. Rows that have a workflow (articles, translations) are made
through the services, so they carry their versions, rendered HTML and search index as the app
would leave them; plain rows (categories, sections, changelog) are factory_boy factories."""

from datetime import date, datetime
from typing import Any

import factory

from frontdesk.accounts.models import Role, User
from frontdesk.accounts.tests.factories import UserFactory
from frontdesk.kb.models import (
    Article,
    ArticleStatus,
    Category,
    ChangelogEntry,
    ChangelogSubscription,
    Section,
    Translation,
    Visibility,
)
from frontdesk.kb.services import article_create, translation_save, translation_set_status
from frontdesk.tickets.tests.factories import NOW


class CategoryFactory(factory.django.DjangoModelFactory[Category]):
    class Meta:
        model = Category

    slug = factory.Sequence(lambda n: f"category-{n}")
    names = factory.Sequence(lambda n: {"en": f"Category {n}", "es": f"Categoría {n}", "lt": f"Kategorija {n}"})
    descriptions = factory.LazyFunction(dict)


class SectionFactory(factory.django.DjangoModelFactory[Section]):
    class Meta:
        model = Section

    category = factory.SubFactory(CategoryFactory)
    slug = factory.Sequence(lambda n: f"section-{n}")
    names = factory.Sequence(lambda n: {"en": f"Section {n}", "es": f"Sección {n}", "lt": f"Skyrius {n}"})


class ChangelogEntryFactory(factory.django.DjangoModelFactory[ChangelogEntry]):
    """A published release note, not yet announced (rendered HTML left empty: use changelog_save for that)."""

    class Meta:
        model = ChangelogEntry

    locale = "en"
    title = factory.Sequence(lambda n: f"Release {n}")
    body = "New: faster search."
    tags = factory.LazyFunction(lambda: ["new"])
    published_on = date(2026, 11, 1)
    is_published = True
    created_at = NOW
    updated_at = NOW


class SubscriptionFactory(factory.django.DjangoModelFactory[ChangelogSubscription]):
    """A confirmed changelog subscription."""

    class Meta:
        model = ChangelogSubscription

    email = factory.Sequence(lambda n: f"reader{n}@guests.example")
    locale = "en"
    confirmed_at = NOW
    created_at = NOW


def editor(role: str = Role.SUPERVISOR, **fields: Any) -> User:
    """A user who may write and publish articles (a supervisor unless told)."""
    return UserFactory.create(role=role, **fields)


def article(
    *,
    section: Section | None = None,
    visibility: str = Visibility.PUBLIC,
    locale: str = "en",
    title: str = "How to change a booking",
    body: str = "Open **My bookings** and choose *Change*.",
    status: str = ArticleStatus.PUBLISHED,
    actor: User | None = None,
    now: datetime = NOW,
) -> Translation:
    """An article with its source translation, taken through the workflow to `status`
    (published unless told); returns the translation."""
    actor = actor or editor()
    translation = article_create(
        actor=actor,
        section=section or SectionFactory.create(),
        visibility=visibility,
        locale=locale,
        title=title,
        body=body,
        now=now,
    )
    return to_status(translation, status, actor=actor, now=now)


def translate(
    article: Article,
    *,
    locale: str,
    title: str,
    body: str = "",
    status: str = ArticleStatus.PUBLISHED,
    actor: User | None = None,
    now: datetime = NOW,
) -> Translation:
    """Another language of `article`, up to date with its source, taken to `status`."""
    actor = actor or editor()
    translation = translation_save(
        actor=actor, article=article, locale=locale, title=title, body=body or title, now=now
    )
    return to_status(translation, status, actor=actor, now=now)


def to_status(translation: Translation, status: str, *, actor: User | None = None, now: datetime = NOW) -> Translation:
    """Take a translation from draft to `status` the way editors do (archived goes through published)."""
    actor = actor or editor()
    path = {
        ArticleStatus.DRAFT: [],
        ArticleStatus.REVIEW: [ArticleStatus.REVIEW],
        ArticleStatus.PUBLISHED: [ArticleStatus.PUBLISHED],
        ArticleStatus.ARCHIVED: [ArticleStatus.PUBLISHED, ArticleStatus.ARCHIVED],
    }[ArticleStatus(status)]
    for step in path:
        translation = translation_set_status(actor=actor, translation=translation, status=step, now=now)
    return translation
