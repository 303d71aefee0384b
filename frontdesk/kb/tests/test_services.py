import threading
import time
from datetime import date, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
import time_machine
from django.core import signing
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import close_old_connections, connection

from frontdesk.accounts.models import Role
from frontdesk.accounts.tests.factories import ContactFactory, UserFactory
from frontdesk.core.errors import Conflict, PermissionDenied, ValidationError
from frontdesk.kb import search, services, tasks
from frontdesk.kb.models import (
    Article,
    ArticleFile,
    ArticleStatus,
    Category,
    ChangelogEntry,
    ChangelogSubscription,
    Translation,
    Version,
    Visibility,
    Vote,
)
from frontdesk.kb.selectors import is_outdated
from frontdesk.kb.services import (
    CONFIRM_SALT,
    UNSUBSCRIBE_SALT,
    article_create,
    article_delete,
    article_file_add,
    article_file_delete,
    article_update,
    category_delete,
    category_save,
    changelog_announce_due,
    changelog_save,
    help_centre,
    help_centre_update,
    section_delete,
    section_save,
    subscription_cancel,
    subscription_cancel_url,
    subscription_confirm,
    subscription_request,
    translation_restore,
    translation_save,
    translation_set_status,
    vote_record,
)
from frontdesk.kb.tests.factories import (
    CategoryFactory,
    ChangelogEntryFactory,
    SectionFactory,
    SubscriptionFactory,
    article,
    editor,
    to_status,
    translate,
)
from frontdesk.mail.models import OutboundEmail, OutboundKind
from frontdesk.mail.services import outbound_queue_email
from frontdesk.mail.tests.factories import MailboxFactory
from frontdesk.tickets.tests.factories import NOW

pytestmark = pytest.mark.django_db

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"\x00" * 64


@pytest.fixture
def indexed(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """What the services asked the search index to do, in order (once their transaction committed)."""
    calls: list[tuple[str, int]] = []
    monkeypatch.setattr(search, "index_translation", lambda pk: calls.append(("index", pk)))
    monkeypatch.setattr(search, "unindex_translation", lambda pk: calls.append(("unindex", pk)))
    return calls


@pytest.fixture
def mailbox() -> Any:
    return MailboxFactory.create(smtp_url="smtp://127.0.0.1:2525")


def source_of(translation: Translation) -> Translation:
    return Translation.objects.get(article=translation.article, locale=translation.article.source_locale)


def mail(outbound: OutboundEmail) -> EmailMessage:
    message = message_from_bytes(bytes(outbound.raw), policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def plain(outbound: OutboundEmail) -> str:
    body = mail(outbound).get_body(("plain",))
    assert body is not None
    return str(body.get_content())


# --- articles, versions, translations ------------------------------------------------------------


def test_a_new_article_is_a_draft_at_version_one_in_its_source_language() -> None:
    author = editor(Role.AGENT)
    section = SectionFactory.create()

    translation = article_create(
        actor=author,
        section=section,
        visibility=Visibility.CUSTOMERS,
        locale="LT",
        title="Kaip pakeisti užsakymą?",
        body="Atidarykite **Mano užsakymai**.",
        now=NOW,
    )

    assert translation.status == ArticleStatus.DRAFT
    assert translation.version == 1
    assert translation.locale == translation.article.source_locale == "lt"
    assert translation.slug == "kaip-pakeisti-užsakymą"
    assert translation.html == "<p>Atidarykite <strong>Mano užsakymai</strong>.</p>\n"
    assert translation.text == "Atidarykite Mano užsakymai."
    assert translation.article.visibility == Visibility.CUSTOMERS
    assert translation.article.created_by == author
    assert list(translation.versions.values_list("number", "title", "author")) == [
        (1, "Kaip pakeisti užsakymą?", author.pk)
    ]


def test_spanish_titles_keep_their_letters_in_the_slug() -> None:
    translation = article(locale="es", title="¿Cómo añado una habitación?")

    assert translation.slug == "cómo-añado-una-habitación"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"visibility": "secret"}, "visibility"),
        ({"title": "   "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"locale": "english!"}, "locale"),
        ({"body": "x" * 200_001}, "body"),
    ],
)
def test_bad_input_names_the_field_and_creates_nothing(fields: dict[str, str], field: str) -> None:
    values = {"visibility": Visibility.PUBLIC, "locale": "en", "title": "Late check-in", "body": "Call us."} | fields

    with pytest.raises(ValidationError) as error:
        article_create(actor=editor(), section=SectionFactory.create(), now=NOW, **values)

    assert error.value.field == field
    assert not Article.objects.exists()


def test_light_agents_do_not_write_articles() -> None:
    with pytest.raises(PermissionDenied):
        article(actor=UserFactory.create(role=Role.LIGHT_AGENT), status=ArticleStatus.DRAFT)


def test_every_change_is_a_new_version_and_an_unchanged_save_records_nothing() -> None:
    first = article(title="Parking", body="There is a garage.", status=ArticleStatus.DRAFT)
    author = editor()

    second = translation_save(
        actor=author, article=first.article, locale="en", title="Parking", body="The garage is free.", now=NOW + HOUR
    )
    same = translation_save(
        actor=author, article=first.article, locale="en", title="Parking", body="The garage is free.", now=NOW + DAY
    )

    assert second.pk == first.pk
    assert same.version == second.version == 2
    assert list(Version.objects.filter(translation=first).values_list("number", "body")) == [
        (2, "The garage is free."),
        (1, "There is a garage."),
    ]
    assert Translation.objects.get(pk=first.pk).updated_at == NOW + HOUR


def test_editing_the_source_outdates_the_translations_until_they_are_saved_again() -> None:
    english = article(title="Breakfast", body="Breakfast is served from 7.")
    spanish = translate(english.article, locale="es", title="Desayuno", body="El desayuno se sirve desde las 7.")
    lithuanian = translate(english.article, locale="lt", title="Pusryčiai", body="Pusryčiai nuo 7 val.")
    assert spanish.source_version == lithuanian.source_version == 1
    assert not is_outdated(spanish, source_of(spanish))

    translation_save(
        actor=editor(), article=english.article, locale="en", title="Breakfast", body="From 6:30.", now=NOW + HOUR
    )
    assert is_outdated(Translation.objects.get(pk=spanish.pk), source_of(spanish))
    assert is_outdated(Translation.objects.get(pk=lithuanian.pk), source_of(lithuanian))

    spanish = translation_save(
        actor=editor(), article=english.article, locale="es", title="Desayuno", body="Desde las 6:30.", now=NOW + DAY
    )

    assert spanish.source_version == 2
    assert not is_outdated(spanish, source_of(spanish))
    assert is_outdated(Translation.objects.get(pk=lithuanian.pk), source_of(lithuanian))


def test_saving_an_outdated_translation_unchanged_marks_it_checked_with_a_new_version() -> None:
    english = article(title="Pets", body="Dogs are welcome.")
    spanish = translate(english.article, locale="es", title="Mascotas", body="Se admiten perros.")
    translation_save(
        actor=editor(), article=english.article, locale="en", title="Pets", body="Dogs are welcome!", now=NOW + HOUR
    )

    checked = translation_save(
        actor=editor(),
        article=english.article,
        locale="es",
        title="Mascotas",
        body="Se admiten perros.",
        note="Nothing to change",
        now=NOW + DAY,
    )

    assert checked.source_version == 2
    assert checked.version == spanish.version + 1
    assert checked.versions.get(number=checked.version).note == "Nothing to change"


def test_a_new_language_starts_as_a_draft_up_to_date_with_the_source() -> None:
    english = article(title="Wi-Fi", body="The password is on your key card.")
    translation_save(actor=editor(), article=english.article, locale="en", title="Wi-Fi", body="Ask us.", now=NOW)

    spanish = translation_save(
        actor=editor(), article=english.article, locale="es", title="Wifi", body="Pregúntenos.", now=NOW + HOUR
    )

    assert spanish.status == ArticleStatus.DRAFT
    assert spanish.version == 1
    assert spanish.source_version == 2
    assert english.article.translations.count() == 2


def test_restoring_saves_the_old_content_as_a_new_version_and_keeps_history() -> None:
    english = article(title="Checkout", body="Check out by 11.")
    spanish = translate(english.article, locale="es", title="Salida", body="Salida a las 11.")
    author = editor()
    translation_save(
        actor=author, article=english.article, locale="en", title="Late checkout", body="Until 13.", now=NOW + HOUR
    )

    restored = translation_restore(actor=author, translation=english, number=1, now=NOW + DAY)

    assert (restored.title, restored.body, restored.version) == ("Checkout", "Check out by 11.", 3)
    assert restored.slug == "checkout"
    assert list(restored.versions.values_list("number", "title")) == [
        (3, "Checkout"),
        (2, "Late checkout"),
        (1, "Checkout"),
    ]
    assert restored.versions.get(number=3).note == "Restored version 1"
    # The source moved on: the Spanish text was written for version 1.
    assert is_outdated(Translation.objects.get(pk=spanish.pk), restored)


def test_restoring_a_version_that_does_not_exist_is_refused() -> None:
    english = article()

    with pytest.raises(ValidationError) as error:
        translation_restore(actor=editor(), translation=english, number=7, now=NOW)

    assert error.value.field == "number"
    assert Translation.objects.get(pk=english.pk).version == 1


# --- workflow ---------------------------------------------------------------------------------------


def test_agents_send_drafts_to_review_and_back_but_do_not_publish() -> None:
    agent = editor(Role.AGENT)
    draft = article(actor=agent, status=ArticleStatus.DRAFT)

    review = translation_set_status(actor=agent, translation=draft, status=ArticleStatus.REVIEW, now=NOW)
    assert review.status == ArticleStatus.REVIEW
    with pytest.raises(PermissionDenied):
        translation_set_status(actor=agent, translation=review, status=ArticleStatus.PUBLISHED, now=NOW)
    back = translation_set_status(actor=agent, translation=review, status=ArticleStatus.DRAFT, now=NOW)

    assert back.status == ArticleStatus.DRAFT
    assert Translation.objects.get(pk=draft.pk).published_at is None


def test_supervisors_publish_archive_and_return_articles_to_draft() -> None:
    supervisor = editor(Role.SUPERVISOR)
    draft = article(status=ArticleStatus.REVIEW)

    published = translation_set_status(
        actor=supervisor, translation=draft, status=ArticleStatus.PUBLISHED, now=NOW + HOUR
    )
    assert published.published_at == NOW + HOUR
    archived = translation_set_status(actor=supervisor, translation=published, status=ArticleStatus.ARCHIVED, now=NOW)
    assert archived.status == ArticleStatus.ARCHIVED
    again = translation_set_status(actor=supervisor, translation=archived, status=ArticleStatus.DRAFT, now=NOW)

    assert again.status == ArticleStatus.DRAFT
    assert again.version == 1  # a status is not a new version of the text


def test_a_draft_cannot_be_archived_and_an_unknown_status_is_invalid() -> None:
    draft = article(status=ArticleStatus.DRAFT)

    with pytest.raises(Conflict) as conflict:
        translation_set_status(actor=editor(), translation=draft, status=ArticleStatus.ARCHIVED, now=NOW)
    with pytest.raises(ValidationError) as invalid:
        translation_set_status(actor=editor(), translation=draft, status="deleted", now=NOW)

    assert conflict.value.field == invalid.value.field == "status"
    assert Translation.objects.get(pk=draft.pk).status == ArticleStatus.DRAFT


def test_versions_record_the_status_at_each_save() -> None:
    published = article(title="Spa", body="Open daily.")
    translation_save(actor=editor(), article=published.article, locale="en", title="Spa", body="Open 9–21.", now=NOW)

    assert dict(published.versions.values_list("number", "status")) == {
        1: ArticleStatus.DRAFT,
        2: ArticleStatus.PUBLISHED,
    }


def test_only_supervisors_change_who_may_read_a_published_article() -> None:
    published = article(visibility=Visibility.INTERNAL)
    draft = article(visibility=Visibility.INTERNAL, status=ArticleStatus.DRAFT)
    agent = editor(Role.AGENT)

    with pytest.raises(PermissionDenied):
        article_update(actor=agent, article=published.article, visibility=Visibility.PUBLIC)
    moved = article_update(actor=agent, article=draft.article, visibility=Visibility.PUBLIC, position=3)
    opened = article_update(actor=editor(Role.SUPERVISOR), article=published.article, visibility=Visibility.PUBLIC)

    assert (moved.visibility, moved.position) == (Visibility.PUBLIC, 3)
    assert opened.visibility == Visibility.PUBLIC
    assert Article.objects.get(pk=published.article_id).visibility == Visibility.PUBLIC


def test_agents_delete_unpublished_articles_only(
    indexed: list[tuple[str, int]], django_capture_on_commit_callbacks: Any
) -> None:
    agent = editor(Role.AGENT)
    draft = article(status=ArticleStatus.DRAFT)
    published = article()

    with pytest.raises(PermissionDenied):
        article_delete(actor=agent, article=published.article)
    with django_capture_on_commit_callbacks(execute=True):
        article_delete(actor=agent, article=draft.article)

    assert not Article.objects.filter(pk=draft.article_id).exists()
    assert Article.objects.filter(pk=published.article_id).exists()
    assert indexed == [("unindex", draft.pk)]


def test_saves_status_changes_and_moves_reach_the_search_index_after_commit(
    indexed: list[tuple[str, int]], django_capture_on_commit_callbacks: Any
) -> None:
    section = SectionFactory.create()
    supervisor = editor()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        english = article_create(
            actor=supervisor, section=section, visibility="public", locale="en", title="Gym", body="", now=NOW
        )
        assert indexed == []  # nothing before the commit
    with django_capture_on_commit_callbacks(execute=True):
        spanish = translation_save(
            actor=supervisor, article=english.article, locale="es", title="Gimnasio", body="", now=NOW
        )
        translation_set_status(actor=supervisor, translation=spanish, status=ArticleStatus.PUBLISHED, now=NOW)
        article_update(actor=supervisor, article=english.article, visibility=Visibility.CUSTOMERS)

    assert len(callbacks) == 1
    assert indexed[:3] == [("index", english.pk), ("index", spanish.pk), ("index", spanish.pk)]
    assert sorted(indexed[3:]) == sorted([("index", english.pk), ("index", spanish.pk)])


# --- categories, sections, help centre ----------------------------------------------------------


def test_categories_and_sections_need_a_free_slug_and_a_name() -> None:
    supervisor = editor()
    taken = CategoryFactory.create(slug="bookings")

    with pytest.raises(Conflict) as conflict:
        category_save(actor=supervisor, slug="bookings", names={"en": "Bookings"})
    with pytest.raises(ValidationError) as no_name:
        category_save(actor=supervisor, slug="rooms", names={"en": "  "})
    with pytest.raises(ValidationError) as bad_slug:
        section_save(actor=supervisor, category=taken, slug="Check In!", names={"en": "Check-in"})

    assert (conflict.value.field, no_name.value.field, bad_slug.value.field) == ("slug", "names", "slug")
    assert Category.objects.count() == 1


def test_a_category_keeps_its_names_per_language_and_can_be_renamed() -> None:
    supervisor = editor()

    category = category_save(
        actor=supervisor,
        slug="rooms",
        names={"EN": " Rooms ", "es": "Habitaciones", "lt": ""},
        descriptions={"en": "Beds and views"},
        position=2,
    )
    renamed = category_save(actor=supervisor, category=category, slug="rooms", names={"en": "Our rooms"})

    assert category.pk == renamed.pk
    assert Category.objects.get(pk=category.pk).names == {"en": "Our rooms"}
    assert category_save(actor=supervisor, slug="more", names={"es": "Más"}).descriptions == {}


def test_agents_do_not_change_the_help_centres_structure() -> None:
    with pytest.raises(PermissionDenied):
        category_save(actor=editor(Role.AGENT), slug="rooms", names={"en": "Rooms"})


def test_a_category_or_section_holding_articles_is_not_deleted() -> None:
    translation = article()
    section = translation.article.section
    empty = SectionFactory.create(category=section.category)

    with pytest.raises(Conflict):
        category_delete(actor=editor(), category=section.category)
    with pytest.raises(Conflict):
        section_delete(actor=editor(), section=section)
    section_delete(actor=editor(), section=empty)

    assert list(section.category.sections.all()) == [section]


def test_the_help_centres_look_checks_colours_and_takes_an_image_logo() -> None:
    supervisor = editor()

    with pytest.raises(ValidationError) as colour:
        help_centre_update(actor=supervisor, now=NOW, primary_colour="blue")
    with pytest.raises(ValidationError) as logo:
        help_centre_update(actor=supervisor, now=NOW, logo=SimpleUploadedFile("logo.png", PDF))
    centre = help_centre_update(
        actor=supervisor,
        now=NOW,
        name="Hotel Help",
        accent_colour="#AA3300",
        logo=SimpleUploadedFile("brand.gif", PNG),
    )

    assert (colour.value.field, logo.value.field) == ("primary_colour", "logo")
    assert help_centre().name == "Hotel Help"
    assert centre.accent_colour == "#aa3300"
    assert centre.primary_colour == "#1d4ed8"
    assert str(centre.logo.name).endswith(".png")


# --- files ----------------------------------------------------------------------------------------


def test_an_image_is_stored_under_its_real_type_and_named_uniquely_within_the_article() -> None:
    translation = article()

    first = article_file_add(
        actor=editor(), article=translation.article, upload=SimpleUploadedFile("lobby.png", PNG), now=NOW
    )
    second = article_file_add(
        actor=editor(), article=translation.article, upload=SimpleUploadedFile("lobby.png", PNG), now=NOW
    )

    assert (first.name, second.name) == ("lobby.png", "lobby-2.png")
    assert first.content_type == "image/png"
    assert first.size == len(PNG)
    assert default_storage.exists(str(first.file.name))
    assert str(first.file.name).startswith("kb/")


def test_a_file_whose_name_lies_about_its_type_is_stored_with_the_real_extension() -> None:
    translation = article()

    file = article_file_add(
        actor=editor(), article=translation.article, upload=SimpleUploadedFile("page.html", PNG), now=NOW
    )

    assert file.content_type == "image/png"
    assert str(file.file.name).endswith(".png")


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("page.html", b"<html><script>alert(1)</script></html>"),
        ("setup.exe", b"MZ\x90\x00" + b"\x00" * 64),
        ("archive.zip", b"PK\x03\x04" + b"\x00" * 64),
        ("empty.png", b""),
    ],
)
def test_files_articles_do_not_carry_are_refused(name: str, content: bytes) -> None:
    translation = article()

    with pytest.raises(ValidationError) as error:
        article_file_add(actor=editor(), article=translation.article, upload=SimpleUploadedFile(name, content), now=NOW)

    assert error.value.field == "upload"
    assert not ArticleFile.objects.exists()


def test_a_file_over_the_size_limit_is_refused(settings: Any) -> None:
    settings.FRONTDESK_MAX_ATTACHMENT_BYTES = 50
    translation = article()

    with pytest.raises(ValidationError) as error:
        article_file_add(actor=editor(), article=translation.article, upload=SimpleUploadedFile("a.png", PNG), now=NOW)

    assert "the limit is 50 bytes" in error.value.message


def test_office_documents_take_their_type_from_their_extension() -> None:
    translation = article()
    document = SimpleUploadedFile("rates.docx", b"PK\x03\x04" + b"\x00" * 64)

    file = article_file_add(actor=editor(), article=translation.article, upload=document, now=NOW)

    assert file.content_type == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert str(file.file.name).endswith(".docx")


def test_an_uploaded_video_named_in_the_markdown_plays_once_uploaded_and_stops_when_removed() -> None:
    translation = article(body="Our lobby:\n\n[Lobby tour](tour.mp4)")
    assert "<video" not in translation.html

    file = article_file_add(
        actor=editor(), article=translation.article, upload=SimpleUploadedFile("tour.mp4", MP4), now=NOW
    )
    shown = Translation.objects.get(pk=translation.pk)
    assert file.content_type == "video/mp4"
    assert f'<video controls preload="metadata" src="/help/files/{file.pk}/tour.mp4"' in shown.html
    assert shown.version == 1  # a file is not a new version of the text

    article_file_delete(actor=editor(), file=file)
    assert "<video" not in Translation.objects.get(pk=translation.pk).html


# --- votes -------------------------------------------------------------------------------------------


def test_a_reader_votes_once_and_changing_the_vote_moves_the_counters() -> None:
    translation = article()
    contact = ContactFactory.create()

    vote_record(translation=translation, helpful=True, reader="contact:1", contact=contact, now=NOW)
    vote_record(translation=translation, helpful=False, reader="session:abc", now=NOW)
    assert (translation.helpful, translation.unhelpful) == (1, 1)

    changed = vote_record(
        translation=translation, helpful=False, comment="The map is outdated.", reader="contact:1", now=NOW + HOUR
    )

    assert Vote.objects.count() == 2
    assert (changed.helpful, changed.comment, changed.contact, changed.created_at) == (
        False,
        "The map is outdated.",
        contact,
        NOW + HOUR,
    )
    stored = Translation.objects.get(pk=translation.pk)
    assert (stored.helpful, stored.unhelpful) == (0, 2)


def test_voting_the_same_again_keeps_the_counters_and_the_earlier_comment() -> None:
    translation = article()
    vote_record(translation=translation, helpful=False, comment="Too long", reader="r1", now=NOW)

    again = vote_record(translation=translation, helpful=False, reader="r1", now=NOW + HOUR)

    assert again.comment == "Too long"
    stored = Translation.objects.get(pk=translation.pk)
    assert (stored.helpful, stored.unhelpful) == (0, 1)


def test_drafts_take_no_votes_and_a_vote_needs_a_reader() -> None:
    draft = article(status=ArticleStatus.DRAFT)
    published = article()

    with pytest.raises(Conflict):
        vote_record(translation=draft, helpful=True, reader="r1", now=NOW)
    with pytest.raises(ValidationError) as error:
        vote_record(translation=published, helpful=True, reader="", now=NOW)

    assert error.value.field == "reader"
    assert not Vote.objects.exists()


# --- changelog ---------------------------------------------------------------------------------------


def test_release_notes_are_written_by_supervisors_with_tags_normalised() -> None:
    entry = changelog_save(
        actor=editor(),
        locale="es",
        title="Búsqueda más rápida",
        body="La búsqueda es **más rápida**.",
        tags=["Nuevo", "nuevo", " Búsqueda "],
        published_on=date(2026, 11, 1),
        is_published=True,
        now=NOW,
    )

    assert entry.tags == ["nuevo", "búsqueda"]
    assert entry.html == "<p>La búsqueda es <strong>más rápida</strong>.</p>\n"
    with pytest.raises(PermissionDenied):
        changelog_save(
            actor=editor(Role.AGENT),
            entry=entry,
            locale="es",
            title="x",
            body="",
            tags=[],
            published_on=date(2026, 11, 1),
            is_published=False,
            now=NOW,
        )
    with pytest.raises(ValidationError) as error:
        changelog_save(
            actor=editor(),
            locale="en",
            title="x",
            body="",
            tags=[],
            published_on="2026-11-01",  # type: ignore[arg-type]
            is_published=False,
            now=NOW,
        )
    assert error.value.field == "published_on"


def test_a_published_entry_is_announced_once_to_confirmed_subscribers_of_its_language(mailbox: Any) -> None:
    entry = ChangelogEntryFactory.create(locale="es", title="Nueva búsqueda", body="Más **rápida**.")
    reader = SubscriptionFactory.create(email="lector@guests.example", locale="es")
    SubscriptionFactory.create(locale="es", confirmed_at=None)  # never confirmed
    SubscriptionFactory.create(locale="es", unsubscribed_at=NOW)  # left
    SubscriptionFactory.create(locale="en")  # another language

    assert changelog_announce_due(now=NOW) == 1
    assert changelog_announce_due(now=NOW + HOUR) == 0

    outbound = OutboundEmail.objects.get()
    assert (outbound.kind, outbound.to_address, outbound.ticket) == (OutboundKind.RELEASE_NOTE, reader.email, None)
    message = mail(outbound)
    assert "Nueva búsqueda" in str(message["Subject"])
    text = plain(outbound)
    assert "Más rápida." in text
    assert subscription_cancel_url(reader) in text
    assert message["List-Unsubscribe"] == f"<{subscription_cancel_url(reader)}>"
    assert ChangelogEntry.objects.get(pk=entry.pk).announced_at == NOW


def test_unpublished_and_future_entries_wait_and_an_edited_announced_entry_is_not_sent_again(mailbox: Any) -> None:
    SubscriptionFactory.create()
    draft = ChangelogEntryFactory.create(is_published=False)
    future = ChangelogEntryFactory.create(published_on=NOW.date() + DAY)

    assert changelog_announce_due(now=NOW) == 0
    assert changelog_announce_due(now=NOW + DAY) == 1

    changelog_save(
        actor=editor(),
        entry=future,
        locale="en",
        title="Fixed title",
        body="",
        tags=[],
        published_on=future.published_on,
        is_published=True,
        now=NOW + DAY,
    )
    assert changelog_announce_due(now=NOW + 2 * DAY) == 0
    assert ChangelogEntry.objects.get(pk=draft.pk).announced_at is None
    assert OutboundEmail.objects.count() == 1


def test_without_a_mailbox_entries_stay_unannounced_for_the_next_run() -> None:
    SubscriptionFactory.create()
    entry = ChangelogEntryFactory.create()

    assert changelog_announce_due(now=NOW) == 0
    assert ChangelogEntry.objects.get(pk=entry.pk).announced_at is None

    MailboxFactory.create(smtp_url="smtp://127.0.0.1:2525")
    assert changelog_announce_due(now=NOW + HOUR) == 1


def test_an_entry_without_subscribers_is_marked_announced_so_later_subscribers_do_not_get_old_news(
    mailbox: Any,
) -> None:
    entry = ChangelogEntryFactory.create()

    assert changelog_announce_due(now=NOW) == 0
    SubscriptionFactory.create()

    assert changelog_announce_due(now=NOW + HOUR) == 0
    assert ChangelogEntry.objects.get(pk=entry.pk).announced_at == NOW


def test_the_periodic_job_run_twice_announces_once(mailbox: Any) -> None:
    SubscriptionFactory.create()
    entry = ChangelogEntryFactory.create(published_on=NOW.date())

    with time_machine.travel(NOW, tick=False):
        tasks.announce_release_notes()
        tasks.announce_release_notes()

    assert OutboundEmail.objects.count() == 1
    assert ChangelogEntry.objects.get(pk=entry.pk).announced_at == NOW


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_workers_announcing_at_once_send_each_subscriber_one_mail(monkeypatch: pytest.MonkeyPatch) -> None:
    def slow_queue(**fields: Any) -> Any:
        time.sleep(0.05)  # holds the announcing transaction open while the other workers arrive
        return outbound_queue_email(**fields)

    monkeypatch.setattr(services, "outbound_queue_email", slow_queue)
    MailboxFactory.create(smtp_url="smtp://127.0.0.1:2525")
    subscribers = SubscriptionFactory.create_batch(5)
    ChangelogEntryFactory.create_batch(3)
    workers = 4
    start = threading.Barrier(workers)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            start.wait()
            changelog_announce_due(now=NOW)
        except BaseException as error:  # reported by the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    close_old_connections()

    assert not errors
    for subscriber in subscribers:
        assert OutboundEmail.objects.filter(to_address=subscriber.email).count() == 3


# --- subscriptions -----------------------------------------------------------------------------------


def confirm_link(outbound: OutboundEmail) -> str:
    line = next(line for line in plain(outbound).splitlines() if "/help/changelog/confirm/" in line)
    return line.strip().rstrip("/").rsplit("/", 1)[-1]


def test_subscribing_takes_a_confirmation_from_the_address(mailbox: Any) -> None:
    subscription_request(email=" Guest@Guests.Example ", locale="lt", now=NOW)

    subscription = ChangelogSubscription.objects.get()
    assert (subscription.email, subscription.locale, subscription.confirmed_at) == ("guest@guests.example", "lt", None)
    outbound = OutboundEmail.objects.get()
    assert outbound.kind == OutboundKind.RELEASE_NOTE
    assert outbound.to_address == "guest@guests.example"

    confirmed = subscription_confirm(token=confirm_link(outbound), now=NOW + HOUR)

    assert confirmed.pk == subscription.pk
    assert confirmed.confirmed_at == NOW + HOUR
    assert subscription_confirm(token=confirm_link(outbound), now=NOW + DAY).confirmed_at == NOW + HOUR


def test_a_confirmed_address_gets_no_second_mail_and_a_pending_one_not_within_minutes(mailbox: Any) -> None:
    SubscriptionFactory.create(email="known@guests.example")

    subscription_request(email="known@guests.example", locale="en", now=NOW)
    subscription_request(email="new@guests.example", locale="en", now=NOW)
    subscription_request(email="new@guests.example", locale="en", now=NOW + timedelta(minutes=1))
    subscription_request(email="new@guests.example", locale="en", now=NOW + HOUR)

    assert list(OutboundEmail.objects.values_list("to_address", flat=True)) == ["new@guests.example"] * 2


def test_a_bad_address_is_refused() -> None:
    with pytest.raises(ValidationError) as error:
        subscription_request(email="not an address", locale="en", now=NOW)

    assert error.value.field == "email"
    assert not ChangelogSubscription.objects.exists()


def test_confirmation_links_expire_and_cannot_be_forged_or_swapped() -> None:
    pending = SubscriptionFactory.create(confirmed_at=None)
    stale = signing.Signer(salt=CONFIRM_SALT).sign_object(
        {"s": pending.pk, "e": pending.email, "t": int(NOW.timestamp())}
    )
    unsubscribe = signing.Signer(salt=UNSUBSCRIBE_SALT).sign_object({"s": pending.pk, "e": pending.email})

    for token, now in ((stale, NOW + 8 * DAY), (unsubscribe, NOW), (stale + "x", NOW), ("garbage", NOW)):
        with pytest.raises(ValidationError) as error:
            subscription_confirm(token=token, now=now)
        assert error.value.field == "token"
    assert ChangelogSubscription.objects.get(pk=pending.pk).confirmed_at is None


def test_unsubscribing_stops_the_mail_and_an_old_confirmation_link_does_not_undo_it(mailbox: Any) -> None:
    subscription_request(email="reader@guests.example", locale="en", now=NOW)
    token = confirm_link(OutboundEmail.objects.get())
    subscription = subscription_confirm(token=token, now=NOW)

    cancelled = subscription_cancel(
        token=subscription_cancel_url(subscription).rstrip("/").rsplit("/", 1)[-1], now=NOW + HOUR
    )
    ChangelogEntryFactory.create()

    assert cancelled.unsubscribed_at == NOW + HOUR
    assert changelog_announce_due(now=NOW + DAY) == 0
    with pytest.raises(ValidationError):
        subscription_confirm(token=token, now=NOW + 2 * HOUR)


def test_subscribing_again_after_leaving_takes_a_new_confirmation(mailbox: Any) -> None:
    SubscriptionFactory.create(email="back@guests.example", unsubscribed_at=NOW)

    subscription_request(email="back@guests.example", locale="es", now=NOW + DAY)
    subscription = subscription_confirm(token=confirm_link(OutboundEmail.objects.get()), now=NOW + DAY + HOUR)

    assert subscription.unsubscribed_at is None
    assert subscription.locale == "es"


def test_a_published_article_is_found_by_search_once_its_transaction_commits(
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        draft = article(title="Late check-in", body="Keys wait at the night desk.", status=ArticleStatus.DRAFT)
    assert search.search(query="night desk", locale="en", visibilities=["public"]).total == 0

    with django_capture_on_commit_callbacks(execute=True):
        to_status(draft, ArticleStatus.PUBLISHED)
    found = search.search(query="night desk", locale="en", visibilities=["public"])
    with django_capture_on_commit_callbacks(execute=True):
        article_delete(actor=editor(), article=draft.article)

    assert [hit.article_id for hit in found.hits] == [draft.article_id]
    assert search.search(query="night desk", locale="en", visibilities=["public"]).total == 0
