"""Knowledge-base search on a small multilingual help centre with known answers.

The same assertions run on SQLite and on PostgreSQL (the suite's PostgreSQL run): the exact order
of results is part of them, so both databases must rank alike.
"""

from dataclasses import dataclass

import pytest
from pytest_django import DjangoAssertNumQueries

from frontdesk.kb import search as kb_search
from frontdesk.kb.models import (
    Article,
    ArticleStatus,
    Search,
    SearchDocument,
    SearchLocale,
    SearchPosting,
    SearchSource,
    SearchTerm,
    Section,
    Translation,
    Visibility,
)
from frontdesk.kb.search import edits, fold, language, tokens
from frontdesk.kb.tests.factories import SectionFactory
from frontdesk.tickets.tests.factories import NOW

PUBLIC = (Visibility.PUBLIC,)
CUSTOMERS = (Visibility.PUBLIC, Visibility.CUSTOMERS)
AGENTS = (Visibility.PUBLIC, Visibility.CUSTOMERS, Visibility.INTERNAL)

# (key, visibility, {locale: (title, body)} or {locale: (title, body, status)})
ARTICLES: list[tuple[str, str, dict[str, tuple[str, ...]]]] = [
    (
        "checkin",
        Visibility.PUBLIC,
        {
            "en": (
                "Check-in and check-out times",
                "Check-in starts at 3 pm and check-out is until 11 am. If you arrive after midnight, tell "
                "the reception before your arrival so that someone can let you in. Early check-in depends "
                "on availability on the day.",
            ),
            "es": (
                "Horario de entrada y salida",
                "La entrada es a partir de las 15:00 y la salida hasta las 11:00. Si llega después de "
                "medianoche, avise a la recepción antes de su llegada. La entrada anticipada depende de "
                "la disponibilidad del día.",
            ),
            "lt": (
                "Registracija ir išvykimas",
                "Registracija prasideda 15 valandą, o išvykti reikia iki 11 valandos. Jei atvyksite po "
                "vidurnakčio, iš anksto praneškite registratūrai. Ankstyvesnė registracija priklauso nuo "
                "užimtumo tą dieną.",
            ),
        },
    ),
    (
        "refunds",
        Visibility.PUBLIC,
        {
            "en": (
                "How refunds work",
                "A refund goes back to the card you paid with. Refunds take five to ten working days to "
                "appear on your statement. If you paid through a booking platform, the platform sends "
                "the refund.",
            ),
            "es": (
                "Cómo funcionan los reembolsos",
                "El reembolso se devuelve a la tarjeta con la que pagó. Los reembolsos tardan de cinco a "
                "diez días hábiles en aparecer en su extracto. Si reservó a través de una plataforma, la "
                "plataforma envía el reembolso.",
            ),
            "lt": (
                "Pinigų grąžinimas",
                "Pinigai grąžinami į kortelę, kuria mokėjote. Grąžinimas užtrunka nuo penkių iki dešimties "
                "darbo dienų. Jei mokėjote per užsakymų platformą, pinigus grąžina platforma.",
            ),
        },
    ),
    (
        "wifi",
        Visibility.PUBLIC,
        {
            "en": (
                "Connecting to the Wi-Fi",
                "The Wi-Fi network name and password are on the card by the door. The connection is free "
                "in every room and in the lobby. If the signal is weak, restart your router.",
            ),
            "es": (
                "Conexión al wifi",
                "El nombre de la red wifi y la contraseña están en la tarjeta junto a la puerta. La "
                "conexión es gratuita en todas las habitaciones.",
            ),
            "lt": (
                "Belaidis internetas",
                "Wi-Fi tinklo pavadinimas ir slaptažodis yra ant kortelės prie durų. Internetas nemokamas "
                "visuose kambariuose.",
            ),
        },
    ),
    (
        "parking",
        Visibility.PUBLIC,
        {
            "en": (
                "Parking at the apartment",
                "Guests can park in the underground parking for 15 euros a day. The parking entrance is "
                "on the side street; the code opens the gate.",
            ),
            "es": (
                "Aparcamiento en el apartamento",
                "Los huéspedes pueden aparcar en el parking subterráneo por 15 euros al día. La entrada "
                "del parking está en la calle lateral.",
            ),
            "lt": (
                "Automobilių stovėjimo aikštelė",
                "Svečiai gali statyti automobilį požeminėje aikštelėje už 15 eurų per dieną.",
            ),
        },
    ),
    (
        "keys",
        Visibility.PUBLIC,
        {
            "en": (
                "Collecting your keys",
                "Your keys are in the key box next to the entrance. You will receive the box code by "
                "e-mail on the day of arrival. Please leave the keys in the box when you leave.",
            ),
            "es": (
                "Recoger las llaves",
                "Las llaves están en la caja junto a la entrada. Recibirá el código de la caja por correo "
                "el día de llegada.",
            ),
            "lt": (
                "Raktų atsiėmimas",
                "Raktai yra raktų dėžutėje prie įėjimo. Dėžutės kodą gausite el. paštu atvykimo dieną. "
                "Išvykdami raktą palikite dėžutėje.",
            ),
        },
    ),
    (
        "cancellation",
        Visibility.PUBLIC,
        {
            "en": (
                "Cancellation policy",
                "You can cancel free of charge up to 48 hours before arrival and get a full refund. Later "
                "cancellations are charged the first night.",
            ),
            "es": (
                "Política de cancelación",
                "Puede cancelar gratis hasta 48 horas antes de la llegada y recibir el reembolso completo. "
                "Las cancelaciones posteriores se cobran la primera noche.",
            ),
            "lt": (
                "Atšaukimo sąlygos",
                "Užsakymą galite atšaukti nemokamai likus 48 valandoms iki atvykimo. Vėlesnis atšaukimas "
                "kainuoja pirmos nakties kainą.",
            ),
        },
    ),
    (
        "late-checkout",
        Visibility.PUBLIC,
        {
            "en": (
                "Late check-out",
                "Late check-out until 2 pm costs 20 euros when the room is not booked that day. Ask the "
                "reception the evening before.",
            ),
        },
    ),
    (
        "tourism",
        Visibility.PUBLIC,
        {
            "es": (
                "Información turística de Montserrat",
                "Información sobre la excursión a Montserrat: el tren sale cada hora desde la plaza de "
                "España. Recomendamos reservar las entradas del museo.",
            ),
            "lt": (
                "Ekskursija į Montserratą",
                "Traukinys į Montserratą išvyksta kas valandą nuo Ispanijos aikštės.",
            ),
        },
    ),
    (
        "pets",
        Visibility.CUSTOMERS,
        {
            "en": (
                "Travelling with pets",
                "Dogs and cats are welcome for 10 euros a night. Please tell us before arrival and keep "
                "pets off the beds.",
            ),
            "es": (
                "Viajar con mascotas",
                "Los perros y gatos son bienvenidos por 10 euros la noche. Avísenos antes de la llegada.",
            ),
        },
    ),
    (
        "chargebacks",
        Visibility.INTERNAL,
        {
            "en": (
                "Handling chargebacks",
                "When a guest disputes a payment, do not send a refund yourself: forward the chargeback "
                "to accounting with the booking reference.",
            ),
        },
    ),
    (
        "refund-rules",
        Visibility.PUBLIC,
        {
            "en": (
                "New refund rules for 2027",
                "From January, a refund for a cancelled stay is paid within three days.",
                ArticleStatus.DRAFT,
            ),
        },
    ),
    (
        "breakfast",
        Visibility.PUBLIC,
        {
            "en": (
                "Breakfast",
                "Breakfast is served from 7 to 10 am in the café on the ground floor, 12 euros per person.",
            ),
            "lt": (
                "Pusryčiai",
                "Pusryčiai patiekiami nuo 7 iki 10 valandos pirmo aukšto kavinėje, 12 eurų asmeniui.",
            ),
        },
    ),
]


@dataclass
class HelpCentre:
    """The articles above: `t[key, locale]` is a translation, `a[key]` an article."""

    a: dict[str, Article]
    t: dict[tuple[str, str], Translation]

    def keys(self, hits: list[kb_search.Hit]) -> list[tuple[str, str]]:
        names = {translation.pk: key for key, translation in self.t.items()}
        return [names[hit.translation_id] for hit in hits]


def build(section: Section, *, index: bool = True) -> HelpCentre:
    articles, translations = {}, {}
    for key, visibility, languages in ARTICLES:
        source = next(iter(languages))
        article = Article.objects.create(section=section, visibility=visibility, source_locale=source, created_at=NOW)
        articles[key] = article
        for locale, (title, body, *status) in languages.items():
            translations[key, locale] = Translation.objects.create(
                article=article,
                locale=locale,
                title=title,
                slug=key,
                body=body,
                html=f"<p>{body}</p>",
                text=body,
                status=status[0] if status else ArticleStatus.PUBLISHED,
                updated_at=NOW,
            )
    if index:
        for translation in translations.values():
            kb_search.index_translation(translation.pk)
    return HelpCentre(a=articles, t=translations)


@pytest.fixture
def kb(db: None) -> HelpCentre:
    centre = build(SectionFactory.create(), index=False)
    kb_search.reindex_all()
    return centre


def find(query: str, locale: str, visibilities: tuple[str, ...] = PUBLIC, **options: object) -> kb_search.SearchResult:
    return kb_search.search(query=query, locale=locale, visibilities=visibilities, **options)  # type: ignore[arg-type]


# --- text to terms (no database) ---------------------------------------------------------------


def test_fold_removes_accents_and_keeps_positions() -> None:
    assert fold("Información TURÍSTICA, raktų dėžutė, Łódź") == "informacion turistica, raktu dezute, lodz"
    assert len(fold("İstanbul straße")) == len("İstanbul straße")


def test_fold_gives_what_each_character_folds_to_however_many_accents_a_text_has() -> None:
    # A text with a few distinct accented letters is folded by replacing each of them, one with
    # many (here every Latin letter with a diacritic, Greek and Cyrillic) character by character.
    few = "Raktų dėžutė: ĮĖJIMAS į İstanbul, Σίσυφος ir Straße. " * 3
    many = "".join(chr(code) for code in range(0xC0, 0x250)) + " ΑΒΓΔΣΊΣΥΦΟΣ Ёлка Đakovo Ħal"
    assert len(set(many) - set(map(chr, range(128)))) > kb_search.FOLD_REPLACE

    for text in (few, many, few + many):
        assert fold(text) == "".join(kb_search._fold_char(char) for char in text)


def test_hyphenated_words_give_their_parts_and_the_joined_word() -> None:
    assert list(tokens("Wi-Fi in the guest's room")) == [
        ("wi", True),
        ("fi", True),
        ("wifi", False),
        ("in", True),
        ("the", True),
        ("guest", True),
        ("room", True),
    ]


def test_a_word_and_its_accent_free_form_share_a_term() -> None:
    spanish = language("es")
    assert spanish.terms("información")[0] == spanish.terms("informacion")[0] == "inform"
    lithuanian = language("lt")
    assert lithuanian.terms("registracijos")[0] == lithuanian.terms("registracija")[0]
    assert lithuanian.terms("raktus")[0] == lithuanian.terms("raktas")[0] == lithuanian.terms("raktai")[0]
    assert language("en").terms("cancelled") == language("en").terms("cancellation")


def test_a_language_without_a_stemmer_still_folds() -> None:
    assert language("xx").terms("Ñandú".lower()) == ("nandu",)


def test_edits_are_one_damerau_step_away() -> None:
    variants = edits("reembolzo")
    assert {"reembolso", "reembolz", "reembolzoo", "reemoblzo"} <= variants
    assert "reembolzo" not in variants
    assert "rembolso" not in variants  # two edits


# --- ranking -------------------------------------------------------------------------------------


def test_spanish_query_with_a_typo_finds_the_spanish_article_first(kb: HelpCentre) -> None:
    result = find("reembolzo", "es")

    assert result.corrections == {"reembolzo": "reembolso"}
    assert kb.keys(result.hits) == [("refunds", "es"), ("cancellation", "es")]
    assert result.total == 2
    assert not any(hit.other_language for hit in result.hits)


def test_lithuanian_inflected_word_finds_its_lemma(kb: HelpCentre) -> None:
    assert kb.keys(find("registracijos", "lt").hits) == [("checkin", "lt")]
    assert kb.keys(find("raktus", "lt").hits) == [("keys", "lt")]


def test_a_word_without_its_accents_finds_it(kb: HelpCentre) -> None:
    result = find("informacion", "es")

    assert result.corrections == {}
    assert kb.keys(result.hits) == [("tourism", "es")]


def test_english_stemming_meets_other_forms_of_a_word(kb: HelpCentre) -> None:
    assert kb.keys(find("cancelled", "en").hits) == [("cancellation", "en")]
    assert kb.keys(find("refunded", "en").hits) == [("refunds", "en"), ("cancellation", "en")]


def test_one_transposed_letter_is_corrected(kb: HelpCentre) -> None:
    result = find("parkign", "en")

    assert result.corrections == {"parkign": "parking"}
    assert kb.keys(result.hits) == [("parking", "en")]


def test_wifi_finds_wi_fi_and_the_title_weighs_more(kb: HelpCentre) -> None:
    english = find("wifi", "en").hits
    assert kb.keys(english) == [("wifi", "en")]
    assert english[0].snippet_html.startswith("The <mark>Wi-Fi</mark> network")
    assert kb.keys(find("wifi", "lt").hits) == [("wifi", "lt")]
    assert kb.keys(find("wi-fi", "es").hits) == [("wifi", "es")]


def test_an_article_only_in_another_language_comes_below(kb: HelpCentre) -> None:
    result = find("Montserrat parking", "en")

    assert kb.keys(result.hits) == [("parking", "en"), ("tourism", "es")]
    assert [hit.other_language for hit in result.hits] == [False, True]
    assert result.total == 2


def test_articles_with_a_translation_in_the_readers_language_are_not_repeated(kb: HelpCentre) -> None:
    # "euros" is in Spanish articles that all have English translations, which the reader gets instead.
    result = find("euros", "en")

    # BM25: the shorter the article, the more one mention weighs.
    assert kb.keys(result.hits) == [("breakfast", "en"), ("late-checkout", "en"), ("parking", "en")]
    assert [hit.score for hit in result.hits] == [1.118238, 1.001484, 0.981]


def test_the_same_order_for_several_words(kb: HelpCentre) -> None:
    assert kb.keys(find("arrival reception", "en").hits) == [
        ("checkin", "en"),
        ("late-checkout", "en"),
        ("cancellation", "en"),
        ("keys", "en"),
    ]
    assert kb.keys(find("entrada llegada", "es").hits) == [
        ("checkin", "es"),
        ("keys", "es"),
        ("parking", "es"),
        ("cancellation", "es"),
        ("tourism", "es"),
    ]


def test_stopwords_alone_find_nothing(kb: HelpCentre) -> None:
    assert find("the and of", "en").total == 0
    assert find("de la que", "es").hits == []


def test_internal_articles_and_drafts_are_found_only_by_agents(kb: HelpCentre) -> None:
    public = find("refund", "en")
    agent_published = find("refund", "en", AGENTS)
    agent_all = find("refund", "en", AGENTS, published_only=False)

    assert kb.keys(public.hits) == [("refunds", "en"), ("cancellation", "en")]
    assert kb.keys(agent_published.hits) == [("refunds", "en"), ("chargebacks", "en"), ("cancellation", "en")]
    assert kb.keys(agent_all.hits) == [
        ("refunds", "en"),
        ("refund-rules", "en"),
        ("chargebacks", "en"),
        ("cancellation", "en"),
    ]


def test_customers_only_articles_need_a_signed_in_customer(kb: HelpCentre) -> None:
    assert find("pets", "en").hits == []
    assert kb.keys(find("pets", "en", CUSTOMERS).hits) == [("pets", "en")]


def test_a_reader_language_translation_hides_the_others_even_when_it_does_not_match(kb: HelpCentre) -> None:
    # The Lithuanian article says "Wi-Fi" in its body; the Spanish reader has a Spanish one without it.
    assert kb.keys(find("tinklo", "es").hits) == []
    assert kb.keys(find("tinklo", "en").hits) == []
    assert kb.keys(find("tinklo", "lt").hits) == [("wifi", "lt")]


def test_snippets_are_escaped_with_the_matches_marked(kb: HelpCentre) -> None:
    translation = kb.t["refunds", "en"]
    translation.text = "Refunds <b>never</b> take long. " + translation.text
    translation.save()
    kb_search.index_translation(translation.pk)

    hit = find("refunds", "en").hits[0]

    assert hit.snippet_html.startswith("<mark>Refunds</mark> &lt;b&gt;never&lt;/b&gt; take long. A <mark>refund</mark>")
    assert hit.title == "How refunds work"
    assert hit.url_slug == "refunds"
    assert hit.article_id == kb.a["refunds"].pk


def test_the_snippet_is_the_window_with_most_of_the_words(kb: HelpCentre) -> None:
    translation = kb.t["keys", "en"]
    translation.text = "Parking. " + "Nothing to see here at all. " * 12 + "Keys and parking codes are sent by e-mail."
    translation.save()
    kb_search.index_translation(translation.pk)

    hit = find("keys parking", "en").hits[0]

    assert kb.keys([hit]) == [("keys", "en")]
    assert hit.snippet_html.startswith("…")
    assert "<mark>Keys</mark> and <mark>parking</mark> codes" in hit.snippet_html


def test_a_translation_not_rendered_yet_gets_its_snippet_from_the_markdown(kb: HelpCentre) -> None:
    translation = kb.t["parking", "en"]
    translation.text = ""
    translation.body = "**Parking** is in the *underground* garage."
    translation.save()
    kb_search.index_translation(translation.pk)

    hit = find("parking", "en").hits[0]

    assert kb.keys([hit]) == [("parking", "en")]
    assert hit.snippet_html == "**<mark>Parking</mark>** is in the *underground* garage."


def test_a_translation_deleted_before_its_unindexing_is_left_out(kb: HelpCentre) -> None:
    kb.t["refunds", "en"].delete()  # unindex_translation has not run yet

    result = find("refund", "en")

    assert kb.keys(result.hits) == [("cancellation", "en")]
    assert result.total == 2  # counted from the index until it is unindexed


def test_lithuanian_snippet_marks_the_inflected_forms(kb: HelpCentre) -> None:
    hit = find("raktus", "lt").hits[0]

    assert hit.snippet_html == (
        "<mark>Raktai</mark> yra <mark>raktų</mark> dėžutėje prie įėjimo. Dėžutės kodą gausite el. paštu "
        "atvykimo dieną. Išvykdami <mark>raktą</mark> palikite dėžutėje."
    )


def test_scores_are_the_same_every_time_and_after_a_rebuild(db: None) -> None:
    build(SectionFactory.create())  # indexed one translation at a time, as editors save them
    queries = [("refund cancel", "en"), ("reembolzo llegada", "es"), ("raktus registracijos", "lt"), ("euros", "es")]
    first = [find(query, locale, AGENTS, published_only=False) for query, locale in queries]

    assert kb_search.reindex_all() == 27  # every translation (none is archived), the draft too
    rebuilt = [find(query, locale, AGENTS, published_only=False) for query, locale in queries]

    assert rebuilt == first
    assert [find(query, locale, AGENTS, published_only=False) for query, locale in queries] == first
    assert all(result.hits and all(hit.score > 0 for hit in result.hits) for result in first)


def test_paging_keeps_the_total(kb: HelpCentre) -> None:
    everything = find("euros", "es")
    second = find("euros", "es", limit=1, offset=1)
    beyond = find("euros", "es", limit=2, offset=50)

    assert kb.keys(everything.hits) == [("parking", "es"), ("breakfast", "lt"), ("late-checkout", "en")]
    assert second.hits == everything.hits[1:2]
    assert second.total == beyond.total == everything.total == 3
    assert beyond.hits == []


def test_a_search_is_two_statements_and_a_correction_one_more(
    kb: HelpCentre, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    find("parking", "en")  # this process now knows the languages

    with django_assert_num_queries(2):  # the languages with the query's terms; the ranking with the hits
        assert kb.keys(find("Montserrat parking", "en").hits) == [("parking", "en"), ("tourism", "es")]
    with django_assert_num_queries(3):  # and the misspelt word's neighbours, with their terms
        assert kb.keys(find("parkign", "en").hits) == [("parking", "en")]


def test_a_language_this_process_has_not_seen_is_looked_up_too(
    kb: HelpCentre, monkeypatch: pytest.MonkeyPatch, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    monkeypatch.setattr(kb_search, "_LOCALES", ("en",))
    with django_assert_num_queries(3):  # the Spanish and Lithuanian terms need a second lookup
        assert kb.keys(find("registracijos reembolso", "lt").hits) == [("checkin", "lt")]
    assert kb_search._LOCALES == ("en", "es", "lt")

    # A language that has no translation any more is not searched, even when this process saw it.
    monkeypatch.setattr(kb_search, "_LOCALES", ("de", "en", "es", "lt"))
    assert kb.keys(find("reembolzo", "es").hits) == [("refunds", "es"), ("cancellation", "es")]
    assert kb_search._LOCALES == ("en", "es", "lt")


# --- keeping the index in step -----------------------------------------------------------------


def counts() -> tuple[dict[tuple[str, str], int], dict[str, tuple[int, int]], int]:
    terms = {(t.locale, t.term): t.df for t in SearchTerm.objects.filter(df__gt=0)}
    stats = {s.locale: (s.documents, s.length) for s in SearchLocale.objects.filter(documents__gt=0)}
    return terms, stats, SearchPosting.objects.count()


def test_incremental_changes_leave_the_counts_a_rebuild_gives(kb: HelpCentre) -> None:
    edited = kb.t["parking", "en"]
    edited.body = edited.text = "Parking is now free for guests staying a week or more."
    edited.save()
    kb_search.index_translation(edited.pk)
    archived = kb.t["breakfast", "lt"]
    archived.status = ArticleStatus.ARCHIVED
    archived.save()
    kb_search.index_translation(archived.pk)
    deleted = kb.t["pets", "es"]
    deleted_id = deleted.pk
    deleted.delete()
    kb_search.unindex_translation(deleted_id)
    kb_search.index_translation(edited.pk)  # twice changes nothing

    incremental = counts()
    kb_search.reindex_all()

    assert counts() == incremental
    assert not SearchDocument.objects.filter(pk__in=[archived.pk, deleted_id]).exists()


def test_an_unpublished_translation_is_no_longer_found_by_customers(kb: HelpCentre) -> None:
    translation = kb.t["wifi", "en"]
    translation.status = ArticleStatus.DRAFT
    translation.save()
    kb_search.index_translation(translation.pk)

    # For customers the article now exists only in Spanish and Lithuanian: its best match comes instead.
    customers = find("wifi", "en")
    assert kb.keys(customers.hits) == [("wifi", "es")]
    assert customers.hits[0].other_language
    assert kb.keys(find("wifi", "en", AGENTS, published_only=False).hits) == [("wifi", "en")]


def test_a_change_of_visibility_reaches_every_translation(kb: HelpCentre) -> None:
    article = kb.a["breakfast"]
    article.visibility = Visibility.INTERNAL
    article.save()
    for translation in article.translations.all():  # as article_update queues it
        kb_search.index_translation(translation.pk)

    assert find("breakfast", "en").hits == []
    assert find("pusryčiai", "lt").hits == []
    assert kb.keys(find("pusryčiai", "lt", AGENTS).hits) == [("breakfast", "lt")]


def test_a_deleted_article_disappears_from_the_index(kb: HelpCentre) -> None:
    assert kb.keys(find("evening", "en", AGENTS).hits) == [("late-checkout", "en")]

    article_id, translation_id = kb.a["late-checkout"].pk, kb.t["late-checkout", "en"].pk
    kb.a["late-checkout"].delete()
    kb_search.unindex_translation(translation_id)  # as article_delete queues it

    assert not SearchDocument.objects.filter(article_id=article_id).exists()
    assert kb.keys(find("evening", "en", AGENTS).hits) == []


def test_a_word_known_only_in_another_language_is_not_corrected(kb: HelpCentre) -> None:
    result = find("reembolso", "en")

    assert result.corrections == {}
    assert result.hits == []  # the Spanish refund article has an English translation


# --- suggestions ----------------------------------------------------------------------------------


def test_suggest_reads_a_ticket_and_proposes_articles(kb: HelpCentre) -> None:
    text = (
        "Hola, cancelé mi reserva hace una semana y todavía no he recibido el reembolso en mi tarjeta. "
        "¿Cuándo llega el reembolso?"
    )

    hits = kb_search.suggest(text=text, locale="es", visibilities=PUBLIC)
    without = kb_search.suggest(
        text=text, locale="es", visibilities=PUBLIC, exclude_article_ids=[kb.a["refunds"].pk], limit=1
    )

    # The customer cancelled and wants the money back: both articles, cancellation first (more words).
    assert kb.keys(hits)[:2] == [("cancellation", "es"), ("refunds", "es")]
    assert kb.keys(without) == [("cancellation", "es")]
    assert len(hits) == 5


def test_suggest_finds_nothing_in_an_empty_index(db: None) -> None:
    assert kb_search.suggest(text="Where are the keys?", locale="en", visibilities=PUBLIC) == []
    assert find("keys", "en").total == 0


# --- analytics -------------------------------------------------------------------------------------


def test_a_search_is_logged_normalised_and_its_first_click_counts(kb: HelpCentre) -> None:
    logged = kb_search.search_log(
        query="  Información   TURÍSTICA ", locale="es", source=SearchSource.HELP_CENTRE, results=1, now=NOW
    )
    kb_search.search_click(search_id=logged.pk, translation_id=kb.t["tourism", "es"].pk)
    kb_search.search_click(search_id=logged.pk, translation_id=kb.t["refunds", "es"].pk)
    kb_search.search_click(search_id=logged.pk + 1000, translation_id=kb.t["refunds", "es"].pk)  # ignored

    logged.refresh_from_db()
    assert logged.normalised == "informacion turistica"
    assert logged.clicked_id == kb.t["tourism", "es"].pk
    assert Search.objects.count() == 1


def test_a_word_in_most_articles_only_ranks_what_the_other_words_find(
    kb: HelpCentre, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kb_search, "COMMON_MIN_DF", 0)  # a large help centre's rule, on this small one
    # "euros" is in 4 of the 11 English translations (more than COMMON_SHARE), "parking" in 1.
    pruned = find("euros parking", "en")
    common_only = find("euros", "en")
    monkeypatch.setattr(kb_search, "COMMON_SHARE", 1.0)
    whole = find("euros parking", "en")

    assert kb.keys(pruned.hits) == [("parking", "en")]
    assert pruned.total == 1
    assert kb.keys(whole.hits) == [("parking", "en"), ("breakfast", "en"), ("late-checkout", "en")]
    assert pruned.hits[0].score == whole.hits[0].score  # "euros" still counts in the score
    assert kb.keys(common_only.hits) == [("breakfast", "en"), ("late-checkout", "en"), ("parking", "en")]


def test_with_only_common_words_the_rarest_finds_the_results(kb: HelpCentre, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kb_search, "COMMON_MIN_DF", 0)
    monkeypatch.setattr(kb_search, "COMMON_SHARE", 0.1)
    # "reception" is in 2 of the 11 English translations, "euros" in 4: both above 10 %.
    result = find("euros reception", "en")
    monkeypatch.setattr(kb_search, "COMMON_SHARE", 1.0)
    whole = {hit.translation_id: hit.score for hit in find("euros reception", "en").hits}

    assert kb.keys(result.hits) == [("late-checkout", "en"), ("checkin", "en")]
    assert result.total == 2
    assert [hit.score for hit in result.hits] == [whole[hit.translation_id] for hit in result.hits]  # both words count
