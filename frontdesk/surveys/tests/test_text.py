"""Offline comment analysis: language, sentiment, themes, ideas, recurring phrases (pure, no database)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from frontdesk.surveys.text import THEMES, Analysis, analyse, detect_language, recurring_phrases


@dataclass(frozen=True)
class Comment:
    text: str
    language: str
    sentiment: str
    themes: frozenset[str] = field(default_factory=frozenset)
    idea: bool = False

    def expected(self) -> tuple[str, str, tuple[str, ...], bool]:
        return (self.language, self.sentiment, tuple(sorted(self.themes)), self.idea)


def c(text: str, language: str, sentiment: str, *themes: str, idea: bool = False) -> Comment:
    return Comment(text, language, sentiment, frozenset(themes), idea)


NEG, NEU, POS = "negative", "neutral", "positive"

ENGLISH = [
    c("The check-in took almost an hour, there was only one person at the front desk and the queue was awful.",
      "en", NEG, "slow_check_in"),
    c("Super friendly staff and the room was spotless. Thank you!", "en", POS, "friendly_staff", "cleanliness"),
    c("I asked a simple question about my booking and they just sent me a link to the help centre. "
      "Not helpful at all.", "en", NEG, "link_only_answer", "unhelpful_answer"),
    c("Waited 4 days for a reply to my email. Unacceptable.", "en", NEG, "slow_response"),
    c("The agent solved my problem in a few minutes, very efficient.", "en", POS, "fast_response", "helpful_answer"),
    c("It would be great if you could add an option to pay by bank transfer.", "en", NEU, "price_billing",
      idea=True),
    c("Nobody told us the pool was closed for maintenance. Very disappointing.", "en", NEG, "lack_of_information"),
    c("The wifi kept dropping every few minutes and the receptionist was rude when we complained.", "en", NEG,
      "wifi", "rude_staff"),
    c("Quick answer, clear explanation, thanks!", "en", POS, "fast_response", "helpful_answer"),
    c("Room was dirty, hair in the shower and the bins weren't emptied.", "en", NEG, "cleanliness"),
    c("Please add more vegetarian options to the breakfast menu.", "en", NEU, idea=True),
    c("The app keeps crashing when I try to log in, still not fixed after two updates.", "en", NEG,
      "technical_problem", "unhelpful_answer"),
    c("Staff didn't speak English, so it was hard to explain what we needed.", "en", NEG, "communication_language"),
    c("Everything was fine.", "en", NEU),
    c("Way too expensive for what you get, and they charged my card twice.", "en", NEG, "price_billing"),
    c("I was not informed that breakfast wasn't included in the price.", "en", NEG, "lack_of_information",
      "price_billing"),
    c("Honestly the best customer service I've had in years. Maria went above and beyond!", "en", POS),
    c("The answer was polite but didn't address my question at all.", "en", NEG, "friendly_staff",
      "unhelpful_answer"),
    c("Could you please send the invoice as a PDF next time? The portal only shows it online.", "en", NEU,
      "price_billing", idea=True),
    c("Great location, comfortable beds, but the walls are paper thin and it was noisy all night.", "en", NEU),
    c("Why not offer late check-out for members? Would make a big difference.", "en", NEU, idea=True),
    c("Second time I contact you about the same problem and still no solution.", "en", NEG, "unhelpful_answer"),
    c("You should hire more people at reception during the weekend, the queue was ridiculous.", "en", NEG,
      "slow_check_in", idea=True),
    c("The lady on the phone was lovely and sorted everything out for us.", "en", POS, "friendly_staff",
      "helpful_answer"),
    c("Emails go unanswered for days. Is anyone actually reading them?", "en", NEG, "slow_response"),
    c("No problems at all, the check-in was quick and the room was ready early.", "en", POS),
    c("The receptionist was a bit slow but very friendly.", "en", POS, "friendly_staff"),
    c("Not impressed. The room smelled of smoke and the air conditioning was never repaired.", "en", NEG,
      "cleanliness"),
    c("Thanks for the quick reply yesterday, the instructions were clear and easy to follow.", "en", POS,
      "fast_response", "helpful_answer"),
    c("Maybe add a kettle to the rooms? Otherwise all good.", "en", POS, idea=True),
    c("The support team ignored my messages for a week.", "en", NEG, "slow_response"),
    c("They should have told us about the noisy construction work next door.", "en", NEG, "lack_of_information"),
    c("I recieved the answer very quickly, definately recommend!", "en", POS, "fast_response"),
    c("Language was a problem, nobody at the desk spoke Spanish.", "en", NEG, "communication_language"),
]  # fmt: skip

SPANISH = [
    c("El check-in fue lentísimo, estuvimos casi una hora esperando en recepción.", "es", NEG, "slow_check_in"),
    c("La recepcionista fue muy amable y nos explicó todo con mucha paciencia.", "es", POS, "friendly_staff",
      "helpful_answer"),
    c("Me mandaron solo un enlace a las preguntas frecuentes, no resolvieron nada.", "es", NEG,
      "link_only_answer", "unhelpful_answer"),
    c("Tardaron cuatro días en responder a mi correo.", "es", NEG, "slow_response"),
    c("Todo perfecto, el personal muy atento. ¡Gracias!", "es", POS, "friendly_staff"),
    c("Sería útil poder hacer el check-in online antes de llegar.", "es", NEU, idea=True),
    c("Nadie nos avisó de que la piscina estaba cerrada.", "es", NEG, "lack_of_information"),
    c("La habitación estaba sucia y olía a humedad.", "es", NEG, "cleanliness"),
    c("El wifi no funcionaba en la habitación y en recepción no supieron qué hacer.", "es", NEG, "wifi",
      "technical_problem"),
    c("Muy caro para lo que ofrecen y encima me cobraron dos veces.", "es", NEG, "price_billing"),
    c("El chico de recepción fue bastante borde con nosotros.", "es", NEG, "rude_staff"),
    c("Podrían poner más personal por las mañanas, siempre hay cola.", "es", NEU, idea=True),
    c("La aplicación da error cada vez que intento pagar.", "es", NEG, "technical_problem", "price_billing"),
    c("No me gustó nada la actitud de la recepcionista, muy maleducada.", "es", NEG, "rude_staff"),
    c("Respuesta rápida y clara, me solucionaron el problema en minutos.", "es", POS, "fast_response",
      "helpful_answer"),
    c("Sigo sin recibir respuesta después de dos semanas.", "es", NEG, "slow_response"),
    c("El desayuno estaba buenísimo y el personal encantador.", "es", POS, "friendly_staff"),
    c("Sugiero que pongan un cartel con el horario del gimnasio.", "es", NEU, idea=True),
    c("No entendían inglés y fue muy difícil comunicarnos.", "es", NEG, "communication_language"),
    c("La informacion de la web sobre el parking era confusa y incompleta.", "es", NEG, "lack_of_information"),
    c("Nada que decir, todo correcto.", "es", POS),
    c("El personal fue poco amable y bastante seco.", "es", NEG, "rude_staff"),
    c("Me encantó la habitación, muy limpia y cómoda.", "es", POS, "cleanliness"),
    c("Por favor, añadan la opción de factura a nombre de empresa.", "es", NEU, "price_billing", idea=True),
    c("La respuesta fue una plantilla genérica que no tenía nada que ver con mi consulta.", "es", NEG,
      "link_only_answer"),
    c("Excelente atención, resolvieron mi duda al momento.", "es", POS, "fast_response", "helpful_answer"),
    c("Estaria bien que el desayuno empezara un poco antes.", "es", NEU, idea=True),
    c("Pésimo servicio. Llamé tres veces y nadie contestó.", "es", NEG, "slow_response"),
    c("No hubo ningún problema, todo fue muy fácil.", "es", POS),
    c("El check in muy lento y la cola enorme, pero el personal muy simpático.", "es", POS, "slow_check_in",
      "friendly_staff"),
    c("La recepcion tardo mucho en darnos la llave, casi 40 minutos", "es", NEG, "slow_check_in"),
    c("no fue util la respuesta, me dijeron que leyera el articulo de ayuda", "es", NEG, "unhelpful_answer",
      "link_only_answer"),
]  # fmt: skip

LITHUANIAN = [
    c("Registracija užtruko beveik valandą, dirbo tik viena administratorė.", "lt", NEG, "slow_check_in"),
    c("Labai malonus ir paslaugus personalas, ačiū!", "lt", POS, "friendly_staff"),
    c("Atsiuntė tik nuorodą į DUK, į mano klausimą taip ir neatsakė.", "lt", NEG, "link_only_answer",
      "slow_response"),
    c("Atsakymo laukiau visą savaitę.", "lt", NEG, "slow_response"),
    c("Puikus aptarnavimas, viskas išspręsta greitai ir profesionaliai.", "lt", POS, "fast_response",
      "helpful_answer"),
    c("Kambarys buvo nešvarus, ant grindų plaukai.", "lt", NEG, "cleanliness"),
    c("Būtų gerai, jei registracija vyktų greičiau.", "lt", NEU, idea=True),
    c("Niekas mums nepranešė, kad baseinas uždarytas.", "lt", NEG, "lack_of_information"),
    c("Wifi kambaryje beveik neveikė.", "lt", NEG, "wifi", "technical_problem"),
    c("Per brangu už tokią kokybę.", "lt", NEG, "price_billing"),
    c("Administratorė buvo nemandagi ir kalbėjo pakeltu tonu.", "lt", NEG, "rude_staff"),
    c("Siūlau įrengti daugiau elektromobilių įkrovimo stotelių.", "lt", NEU, idea=True),
    c("Programėlė nuolat stringa, negaliu prisijungti.", "lt", NEG, "technical_problem"),
    c("Labai greitai atsakė ir viską aiškiai paaiškino.", "lt", POS, "fast_response", "helpful_answer"),
    c("Informacijos apie vėlyvą atvykimą trūko.", "lt", NEG, "lack_of_information"),
    c("Nieko blogo negaliu pasakyti, viskas buvo gerai.", "lt", POS),
    c("Rusiškai kalbėjo, o angliškai nelabai.", "lt", NEU, "communication_language"),
    c("Valymas prastas, dulkės po lova.", "lt", NEG, "cleanliness"),
    c("Vadybininkė buvo labai maloni ir kantri, padėjo išspręsti problemą.", "lt", POS, "friendly_staff",
      "helpful_answer"),
    c("Gavau tik automatinį atsakymą, o problema liko neišspręsta.", "lt", NEG, "link_only_answer",
      "unhelpful_answer"),
    c("Galėtumėte pusryčius pradėti anksčiau.", "lt", NEU, idea=True),
    c("Kaina atitiko kokybę, rekomenduoju.", "lt", POS, "price_billing"),
    c("Laukėme eilėje prie registracijos daugiau nei pusvalandį.", "lt", NEG, "slow_check_in"),
    c("Nebuvo jokios informacijos apie tai, kur palikti automobilį.", "lt", NEG, "lack_of_information"),
    c("Super, ačiū už greitą pagalbą!", "lt", POS, "fast_response"),
    c("Darbuotojai nekalba lietuviškai, teko bendrauti per vertėją.", "lt", NEU, "communication_language"),
    c("Sąskaitoje buvo nurodyta neteisinga suma, teko skambinti tris kartus.", "lt", NEG, "price_billing"),
    c("Pusryčiai buvo skanūs, bet kava šalta.", "lt", NEU),
    c("Ačiū, viskas puiku!", "lt", POS),
    c("Reikėtų aiškesnių nurodymų, kaip rasti įėjimą.", "lt", NEU, "lack_of_information", idea=True),
    c("Labai greitai atsake, aciu!", "lt", POS, "fast_response"),
    c("Kambarys svarus, personalas malonus ir draugiskas", "lt", POS, "cleanliness", "friendly_staff"),
]  # fmt: skip

COMMENTS = ENGLISH + SPANISH + LITHUANIAN

# Written and labelled after the word lists, before running them on these. Their misses led to a few general
# fixes (and some misses remain), so only overall rates are asserted: a figure, not a specification.
UNSEEN = [
    c("We had to wait 45 minutes to get our keys, very poor organisation.", "en", NEG, "slow_check_in"),
    c("The receptionist was so helpful and kind, thank you Anna!", "en", POS, "friendly_staff", "helpful_answer"),
    c("I still haven't received my refund after three weeks.", "en", NEG, "price_billing"),
    c("Support replied within an hour and fixed the issue.", "en", POS, "fast_response", "helpful_answer"),
    c("The FAQ link they sent did not answer my question.", "en", NEG, "link_only_answer", "unhelpful_answer"),
    c("Could you add a Spanish version of the website?", "en", NEU, "communication_language", idea=True),
    c("Bathroom was filthy and smelled bad.", "en", NEG, "cleanliness"),
    c("Internet was unusable in the evenings.", "en", NEG, "wifi"),
    c("Average stay, nothing special.", "en", NEU),
    c("Nobody explained how the parking works, we got a fine.", "en", NEG, "lack_of_information"),
    c("Tuvimos que esperar mucho para hacer el check-in.", "es", NEG, "slow_check_in"),
    c("El personal de recepción fue encantador y muy profesional.", "es", POS, "friendly_staff"),
    c("Me respondieron con un enlace genérico que no servía para nada.", "es", NEG, "link_only_answer",
      "unhelpful_answer"),
    c("La habitación muy limpia y la cama comodísima.", "es", POS, "cleanliness"),
    c("No nos informaron del cambio de horario del desayuno.", "es", NEG, "lack_of_information"),
    c("Deberían mejorar la conexión wifi en las habitaciones.", "es", NEU, "wifi", idea=True),
    c("El precio es demasiado alto para lo que ofrecen.", "es", NEG, "price_billing"),
    c("La web no carga y no puedo pagar la reserva.", "es", NEG, "price_billing", "technical_problem"),
    c("Me contestaron al momento, genial.", "es", POS, "fast_response"),
    c("Nadie hablaba inglés en la recepción.", "es", NEU, "communication_language"),
    c("Registracija vyko sklandžiai ir greitai.", "lt", POS),
    c("Darbuotoja buvo labai grubi ir nemandagi.", "lt", NEG, "rude_staff"),
    c("Į laišką neatsakė jau dvi savaites.", "lt", NEG, "slow_response"),
    c("Vonios kambarys buvo purvinas.", "lt", NEG, "cleanliness"),
    c("Siūlyčiau įrengti daugiau vietų automobiliams.", "lt", NEU, idea=True),
    c("Gavome išsamų ir naudingą atsakymą, ačiū.", "lt", POS, "helpful_answer"),
    c("Svetainėje nepavyksta prisijungti prie paskyros.", "lt", NEG, "technical_problem"),
    c("Kainos per didelės.", "lt", NEG, "price_billing"),
    c("Nebuvo aišku, kur palikti raktus.", "lt", NEG, "lack_of_information"),
    c("Internetas veikė puikiai, labai patenkinti.", "lt", POS, "wifi"),
    c("Check in was painless and the staff upgraded our room, lovely surprise.", "en", POS, "friendly_staff"),
    c("My ticket was closed without any explanation.", "en", NEG, "lack_of_information"),
    c("Answer came fast but it was just copy paste from your FAQ.", "en", NEG, "fast_response", "link_only_answer"),
    c("The night manager shouted at my wife. Never again.", "en", NEG, "rude_staff"),
    c("It would be great to have more charging points in the garage.", "en", NEU, idea=True),
    c("I couldn't log into the app for two days.", "en", NEG, "technical_problem"),
    c("Room smelled musty and the carpet had stains.", "en", NEG, "cleanliness"),
    c("They refunded me the same day, very professional.", "en", POS, "price_billing"),
    c("Thanks for your patience on the phone yesterday.", "en", POS, "friendly_staff"),
    c("The instructions for the self check-in were confusing.", "en", NEG, "lack_of_information"),
    c("Muy contentos con la estancia, volveremos seguro.", "es", POS),
    c("La recepcionista nos trató fatal y con malas formas.", "es", NEG, "rude_staff"),
    c("No había información sobre cómo llegar al hotel.", "es", NEG, "lack_of_information"),
    c("Nos cobraron el parking sin avisar.", "es", NEG, "lack_of_information", "price_billing"),
    c("Llevo una semana esperando que me contesten.", "es", NEG, "slow_response"),
    c("Deberían tener a alguien que hable inglés por la noche.", "es", NEU, "communication_language", idea=True),
    c("El baño estaba impecable.", "es", POS, "cleanliness"),
    c("La app se cuelga cada vez que intento reservar.", "es", NEG, "technical_problem"),
    c("Me ayudaron muchísimo con el cambio de fechas, mil gracias.", "es", POS, "helpful_answer"),
    c("Respuesta automática y nada más.", "es", NEG, "link_only_answer"),
    c("Labai patiko pusryčiai ir aptarnavimas.", "lt", POS),
    c("Laukėme registracijos beveik valandą, labai nusivylėme.", "lt", NEG, "slow_check_in"),
    c("Niekas neatsakė į mano laiškus.", "lt", NEG, "slow_response"),
    c("Kambaryje buvo dulkėta ir smirdėjo dūmais.", "lt", NEG, "cleanliness"),
    c("Būtų patogu, jei galėtume užsiregistruoti internetu.", "lt", NEU, idea=True),
    c("Registratūros darbuotoja buvo labai maloni ir viską paaiškino.", "lt", POS, "friendly_staff", "helpful_answer"),
    c("Sąskaita atėjo su klaida, teko rašyti kelis kartus.", "lt", NEG, "price_billing"),
    c("Atsakymas buvo tik šabloninis tekstas.", "lt", NEG, "link_only_answer"),
    c("Administratorius nemokėjo angliškai, bendravome rankomis.", "lt", NEG, "communication_language"),
    c("Viskas buvo tvarkinga ir švaru.", "lt", POS, "cleanliness"),
]  # fmt: skip

# Other languages: detected, not analysed further.
OTHER_LANGUAGES = [
    ("Das Personal war sehr freundlich, aber der Check-in hat lange gedauert.", "de"),
    ("Leider keine Antwort auf meine E-Mail bekommen.", "de"),
    ("Zimmer war sauber und das Frühstück sehr gut.", "de"),
    ("Le personnel était très aimable et la chambre propre.", "fr"),
    ("Je n'ai jamais reçu de réponse à ma demande.", "fr"),
    ("L'accueil était lent mais le service excellent.", "fr"),
    ("O atendimento foi muito rápido, obrigado!", "pt"),
    ("Não recebi resposta ao meu e-mail até hoje.", "pt"),
    ("Il personale è stato molto gentile e disponibile.", "it"),
    ("La camera non era pulita e la colazione era fredda.", "it"),
    ("Obsługa była bardzo miła, ale pokój był brudny.", "pl"),
    ("Nie dostałem odpowiedzi na moje pytanie.", "pl"),
    ("Personāls bija ļoti laipns, paldies!", "lv"),
    ("Istaba nebija tīra un brokastis bija aukstas.", "lv"),
    ("Персонал был очень вежливый, спасибо.", "ru"),
    ("Ответа на моё письмо так и не получил.", "ru"),
    ("Дуже дякую, персонал був ввічливий і швидко допоміг.", "uk"),
]

# Short comments that only the contact's language can decide.
SHORT_WITH_HINT = [
    ("Super!", "lt", "lt"),
    ("OK", "es", "es"),
    ("Wifi?", "en", "en"),
    ("Perfect!", "lt", "en"),  # the text is clearly English whatever the hint says
    ("¡Genial!", "lt", "es"),
    ("Ačiū", "en", "lt"),
]


@pytest.mark.parametrize("comment", COMMENTS, ids=lambda comment: comment.text[:48])
def test_comment_is_analysed_as_labelled(comment: Comment) -> None:
    result = analyse(comment.text)

    assert (result.language, result.sentiment_label, result.themes, result.is_idea) == comment.expected()


@pytest.mark.parametrize(("text", "language"), OTHER_LANGUAGES, ids=lambda value: value[:30])
def test_other_languages_are_detected(text: str, language: str) -> None:
    assert detect_language(text) == language


@pytest.mark.parametrize(("text", "hint", "language"), SHORT_WITH_HINT)
def test_short_comment_falls_back_to_the_hint_only_when_unsure(text: str, hint: str, language: str) -> None:
    assert analyse(text, hint=hint).language == language


def test_detection_accuracy_over_the_labelled_set_is_at_least_95_percent() -> None:
    labelled = [(comment.text, comment.language) for comment in COMMENTS + UNSEEN] + OTHER_LANGUAGES
    # Short ones without a hint, not asserted one by one: some may be undecidable.
    labelled += [
        ("Thank you so much!", "en"),
        ("Very slow service.", "en"),
        ("Muchas gracias por todo", "es"),
        ("Muy lento", "es"),
        ("Labai ačiū", "lt"),
        ("Viskas gerai", "lt"),
        ("Labai letai", "lt"),
        ("Todo bien", "es"),
    ]
    correct = sum(detect_language(text) == language for text, language in labelled)

    accuracy = correct / len(labelled)
    assert accuracy >= 0.95, f"language detection: {correct}/{len(labelled)} = {accuracy:.1%}"


@pytest.mark.parametrize(
    ("aspect", "minimum"), [("language", 1.0), ("sentiment", 0.85), ("themes", 0.85), ("idea", 0.9)]
)
def test_agreement_on_unseen_comments(aspect: str, minimum: float) -> None:
    index = ["language", "sentiment", "themes", "idea"].index(aspect)
    agreeing = 0
    for comment in UNSEEN:
        result = analyse(comment.text)
        got = (result.language, result.sentiment_label, result.themes, result.is_idea)
        agreeing += got[index] == comment.expected()[index]

    rate = agreeing / len(UNSEEN)
    assert rate >= minimum, f"{aspect}: {agreeing}/{len(UNSEEN)} = {rate:.0%}"


@pytest.mark.parametrize(("language", "count"), [("en", len(ENGLISH)), ("es", len(SPANISH)), ("lt", len(LITHUANIAN))])
def test_each_language_has_at_least_25_labelled_comments(language: str, count: int) -> None:
    assert sum(comment.language == language for comment in COMMENTS) == count >= 25


# --- negation ---------------------------------------------------------------------------------------------------

NEGATION_PAIRS = [
    ("The answer was helpful.", "The answer was not helpful."),
    ("The app works fine now.", "The app still doesn't work."),
    ("Fue útil.", "No fue útil."),
    ("Me gustó mucho el trato.", "No me gustó el trato."),
    ("Buvo naudinga.", "Nebuvo naudinga."),
    ("Atsakymas naudingas.", "Atsakymas nenaudingas."),
    ("Man patiko.", "Man nepatiko."),
]


@pytest.mark.parametrize(("plain", "negated"), NEGATION_PAIRS)
def test_negation_turns_positive_into_negative(plain: str, negated: str) -> None:
    assert analyse(plain).sentiment_label == "positive"
    assert analyse(negated).sentiment_label == "negative"


@pytest.mark.parametrize(
    "text", ["Not bad at all.", "No problems whatsoever.", "Sin ningún problema.", "Nieko blogo.", "Neblogai."]
)
def test_negated_negative_reads_positive(text: str) -> None:
    assert analyse(text).sentiment > 0


@pytest.mark.parametrize(
    ("text", "theme", "opposite"),
    [
        ("The receptionist was not friendly.", "friendly_staff", "rude_staff"),
        ("La recepcionista no fue nada amable.", "friendly_staff", "rude_staff"),
        ("Administratorė buvo nemaloni.", "friendly_staff", "rude_staff"),
        ("The reply was not quick at all.", "fast_response", "slow_response"),
        ("Atsakymas nebuvo naudingas.", "helpful_answer", "unhelpful_answer"),
    ],
)
def test_negated_polar_theme_becomes_its_opposite(text: str, theme: str, opposite: str) -> None:
    themes = analyse(text).themes

    assert opposite in themes
    assert theme not in themes


@pytest.mark.parametrize("text", ["The staff were not rude.", "There were no problems with the app."])
def test_negated_polar_theme_without_opposite_is_dropped(text: str) -> None:
    assert analyse(text).themes == ()


def test_lithuanian_negative_prefix_is_split_from_inflected_words() -> None:
    assert analyse("Personalas nemandagus.").themes == ("rude_staff",)
    assert analyse("Svetainė neveikė visą dieną.").themes == ("technical_problem",)


# --- intensity, contrast, emphasis -----------------------------------------------------------------------------


def test_intensifiers_strengthen_and_diminishers_soften() -> None:
    plain = analyse("The check-in was slow.").sentiment
    very = analyse("The check-in was very slow.").sentiment
    bit = analyse("The check-in was a bit slow.").sentiment

    assert very < plain < bit < 0


def test_spanish_un_poco_softens_but_poco_negates() -> None:
    assert analyse("El personal fue un poco lento.").sentiment < 0
    assert analyse("El personal fue poco amable.").sentiment < 0
    assert analyse("El personal fue amable.").sentiment > 0


def test_exclamation_marks_and_capitals_add_emphasis() -> None:
    plain = analyse("The staff was great.").sentiment

    assert analyse("The staff was great!!!").sentiment > plain
    assert analyse("The staff was GREAT.").sentiment > plain


def test_the_clause_after_but_weighs_more() -> None:
    assert analyse("The room was nice but the service was bad.").sentiment_label == "negative"
    assert analyse("The service was bad but the room was really nice.").sentiment_label == "positive"


def test_emoticons_count_in_any_language() -> None:
    assert analyse("Danke für alles :)").sentiment > 0
    assert analyse("Wifi 👎").sentiment < 0


_VOCABULARY = (
    "not no nebuvo ne sin nunca very muy labai slow lento lėta helpful útil naudinga check-in registracija but pero "
    "bet would be nice sería būtų gerai link enlace nuoroda wifi . , ! ? ¿ ¡ :) 😡 ačiū gracias"
)
_WORDS = st.sampled_from(_VOCABULARY.split())


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(), st.lists(_WORDS, max_size=40).map(" ".join)), st.sampled_from(["", "en", "es", "lt", "xx"]))
def test_any_text_gives_a_well_formed_analysis(text: str, hint: str) -> None:
    result = analyse(text, hint=hint)

    assert -1.0 <= result.sentiment <= 1.0
    assert result.sentiment_label == (
        "positive" if result.sentiment >= 0.15 else "negative" if result.sentiment <= -0.15 else "neutral"
    )
    assert result.themes == tuple(sorted(set(result.themes)))
    assert set(result.themes) <= THEMES.keys()
    assert isinstance(recurring_phrases([text, text], language=result.language or "en"), list)


def test_sentiment_stays_within_bounds() -> None:
    gushing = "Amazing amazing AMAZING, perfect, excellent, wonderful, fantastic staff!!!!!! 😍😍😍"
    furious = "Terrible, horrible, awful, the WORST, rude and useless!!!!!! 😡😡😡"

    assert 0.9 < analyse(gushing).sentiment <= 1.0
    assert -1.0 <= analyse(furious).sentiment < -0.9


# --- ideas -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "It would be nice if the spa opened earlier.",
        "I suggest adding a live chat on the website.",
        "They should offer a shuttle from the airport.",
        "Podrían añadir más enchufes en las habitaciones.",
        "Me gustaría que hubiera parking para bicicletas.",
        "Siūlyčiau pridėti galimybę atsiskaityti kortele.",
        "Būtų puiku, jei pusryčiai būtų ilgiau.",
    ],
)
def test_suggestions_are_ideas(text: str) -> None:
    assert analyse(text).is_idea


@pytest.mark.parametrize(
    "text",
    [
        "They should have answered sooner.",
        "I would recommend this hotel to anyone.",
        "Recomendaría este hotel sin dudarlo.",
        "Me gustaría una respuesta, por fin.",
        "Labai rekomenduoju šį viešbutį.",
    ],
)
def test_complaints_and_praise_are_not_ideas(text: str) -> None:
    assert not analyse(text).is_idea


@pytest.mark.parametrize(
    "text",
    [
        "It would be helpful to have a kettle in the room.",
        "Sería útil tener una tetera en la habitación.",
        "Būtų naudinga turėti virdulį kambaryje.",
    ],
)
def test_a_wish_is_an_idea_not_praise(text: str) -> None:
    result = analyse(text)

    assert result.is_idea
    assert result.sentiment_label == "neutral"
    assert "helpful_answer" not in result.themes


# --- language edge cases ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "12345", "!!!", "👍"])
def test_text_without_words_has_no_language(text: str) -> None:
    assert detect_language(text) == ""
    assert detect_language(text, hint="es") == ""


def test_undecidable_short_word_without_hint_is_unknown() -> None:
    assert detect_language("Super") == ""
    assert detect_language("OK") == ""


def test_hint_in_any_case_or_region_form() -> None:
    assert detect_language("Super", hint="LT-lt") == "lt"
    assert detect_language("OK", hint="es_ES") == "es"


def test_hint_does_not_override_a_clear_language() -> None:
    assert detect_language("The staff was very friendly and helpful.", hint="lt") == "en"
    assert detect_language("Personalas buvo labai malonus.", hint="en") == "lt"


def test_language_without_lexicon_is_detected_but_not_scored() -> None:
    assert analyse("Das Personal war sehr freundlich und das Zimmer sauber.") == Analysis(
        language="de", sentiment=0.0, sentiment_label="neutral", themes=(), is_idea=False
    )


def test_empty_comment_analysis() -> None:
    assert analyse("") == Analysis(language="", sentiment=0.0, sentiment_label="neutral", themes=(), is_idea=False)


# --- themes catalogue --------------------------------------------------------------------------------------------


def test_catalogue_has_the_seed_themes_with_keywords_in_each_language() -> None:
    assert {"lack_of_information", "slow_check_in", "link_only_answer", "slow_response"} <= THEMES.keys()
    assert 10 <= len(THEMES) <= 14
    for key, theme in THEMES.items():
        assert set(theme.keywords) == {"en", "es", "lt"}, key
        assert str(theme.label)
        assert not theme.opposite or theme.opposite in THEMES


def test_themes_are_sorted_unique_catalogue_keys() -> None:
    result = analyse("Slow check-in, rude staff, dirty room, expensive, wifi broken, only a link to the FAQ.")

    assert result.themes == tuple(sorted(set(result.themes)))
    assert set(result.themes) <= THEMES.keys()
    assert {"slow_check_in", "rude_staff", "cleanliness", "price_billing", "wifi", "link_only_answer"} <= set(
        result.themes
    )


# --- recurring phrases -------------------------------------------------------------------------------------------


def test_recurring_phrases_group_english_inflections() -> None:
    comments = [
        "Slow check-in again, and the breakfast room was crowded.",
        "Really slow check-in, we waited forever.",
        "The slow check-ins are getting worse every visit.",
        "Breakfast room too crowded at 9.",
        "Great stay.",
    ]

    phrases = recurring_phrases(comments, language="en")

    assert phrases[0] == ("slow check-in", 3)
    assert ("breakfast room", 2) in phrases
    assert all(count >= 2 for _phrase, count in phrases)


@pytest.mark.parametrize(
    ("language", "comments", "expected"),
    [
        pytest.param(
            "es",
            [
                "Check-in lento y desayuno frío.",
                "El check-in muy lento, una hora de espera.",
                "Check-in lentísimo otra vez.",
                "Desayuno frío y poco variado.",
            ],
            {"check-in lento": 3, "desayuno frío": 2},
            id="spanish-inflections",
        ),
        pytest.param(
            "lt",
            [
                "Lėta registracija ir triukšmingas kambarys.",
                "Labai lėta registracija, laukėme valandą.",
                "Dėl lėtos registracijos pavėlavome į susitikimą.",
                "Triukšmingas kambarys šalia lifto.",
            ],
            {"lėta registracija": 3, "triukšmingas kambarys": 2},
            id="lithuanian-cases",
        ),
    ],
)
def test_recurring_phrases_group_inflected_forms(language: str, comments: list[str], expected: dict[str, int]) -> None:
    phrases = dict(recurring_phrases(comments, language=language))

    assert {phrase: phrases.get(phrase) for phrase in expected} == expected


def test_recurring_phrases_in_a_language_with_stop_words_only() -> None:
    comments = ["Frühstück kalt.", "Wieder Frühstück kalt und teuer.", "Zimmer sauber."]

    assert recurring_phrases(comments, language="de") == [("frühstück kalt", 2)]


def test_recurring_phrases_respect_min_count_and_limit() -> None:
    comments = ["alpha beta gamma", "alpha beta", "alpha", "delta epsilon", "delta epsilon"]

    assert recurring_phrases(comments, language="en", min_count=3) == [("alpha", 3)]
    assert len(recurring_phrases(comments, language="en", limit=1)) == 1
    assert recurring_phrases([], language="en") == []


def test_recurring_phrases_do_not_return_lone_opinion_words() -> None:
    comments = ["Great staff.", "Great location.", "Great breakfast."]

    assert recurring_phrases(comments, language="en") == []
