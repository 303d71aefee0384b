"""Offline text analysis of survey comments: language, sentiment, themes, ideas.

Everything here is a pure function over a string, with small hand-written word
lists (``lexicon/*.txt``, described in ``lexicon/README.md``) and the Snowball
stemmers of ``snowballstemmer``. Nothing is downloaded, trained or looked up at
run time.

Method
------
*Tokens.* Words are lower-cased; a *fold* drops diacritics (``información`` →
``informacion``, ``lėtai`` → ``letai``) so comments typed without accents still
match; a *key* is the fold of the Snowball stem, so ``slow check-ins`` and
``registracijos``/``registraciją`` meet on one key. Only words whose first three
letters could start a lexicon word are stemmed (Snowball in pure Python costs
20–40 µs a word; stems are cached). Negators (``not``, ``didn't``, ``no``,
``nunca``, ``sin``, ``nebuvo``, ``jokių``) become one token ``¬``; a Lithuanian
word with the prefix ``ne-`` whose remainder is a lexicon word is split into
``¬`` + the remainder (``nenaudinga`` → ``¬ naudinga``, ``neveikia`` →
``¬ veikia``). Spanish/English ``poco``/``little`` negate unless after
``un``/``a``. Sentences end at ``. ! ? ;`` and line breaks; commas end clauses.

*Language.* Each word votes for the languages whose lists contain it (stop
words, common words, negators, intensifiers, lexicon and theme words), a word
shared by k languages giving 1/k to each; a word found in no list votes half
as much through its first five letters (``kambaryje`` → ``kamba…``) or, for
Lithuanian, through its remainder after ``ne-``. Letters that only some
languages use (``ñ ¿ ¡``, ``ė į ų``, ``ā ē ī ķ ļ ņ``, ``ł ś ź``, ``ã õ``,
``ß ä ö``) and a few word endings add smaller votes; Cyrillic text is Russian
or, with ``і ї є ґ`` and its stop words, Ukrainian. The best language wins
when it has enough evidence and a clear lead; otherwise the caller's ``hint``
(the contact's language) decides if it is plausible, and ``""`` is returned
when nothing decides. Supported: en, es, lt (full analysis) and de, fr, pt,
it, pl, lv, ru, uk (detection, and ``recurring_phrases`` with their stop
words).

*Sentiment* is lexicon-based, in the manner of VADER: each word or phrase has a
score on −3…+3 (matched on stems, or on exact forms where a stem is shared
with a neutral word); a negator up to three tokens before it (same clause)
flips and damps it (×−0.75, or an explicit "negated" score, so ``didn't
work`` is −2 although ``work`` is only +0.5); intensifiers before it scale it
(``very``, ``muy``, ``labai`` ×1.3; ``a bit``, ``un poco``, ``truputį`` ×0.6),
Spanish ``-ísimo`` ×1.3, an ALL-CAPS word ×1.5; after ``but``/``pero``/``bet``
the rest of the sentence weighs ×1.5 and what came before ×0.5; each theme
found adds its tone (−1 for a complaint such as ``slow_check_in``, +1 for
praise such as ``friendly_staff``, 0 for a topic such as ``wifi``) unless the
comment is an idea; each ``!`` (up to four) adds 0.29 away from zero. Wishes (``would be nice``, ``sería útil``,
``būtų gerai``) are neither praise nor a theme: their words are skipped. The
sum *s* is normalised to s/√(s²+15), in −1…1; labels are ``positive`` ≥ 0.15,
``negative`` ≤ −0.15, else ``neutral``. A few emoticons count in any language.

*Themes* are a fixed catalogue (``THEMES``). Each has keyword patterns per
language in a small notation: words separated by spaces are a phrase of
consecutive tokens; ``|`` separates alternatives; ``&`` joins parts that must
all occur in one sentence, on one side of a ``but``, at most 4 tokens apart
(``&2`` sets the gap), in any order, and ``>`` the same in the order written;
``word`` matches on the stem key, ``=word`` on that exact (folded) form only,
``word*`` on any folded form starting with ``word``, and ``NEG`` on a negator,
which must come at most two tokens *before* the part next to it. A theme marked
``polar`` that is matched under negation (``not friendly``) counts as its
``opposite`` (``rude_staff``) or, without one, not at all; matches that
contain a negator themselves (``no reply``) are never flipped.

*Ideas* are phrase patterns on the folded text: ``would be nice``, ``please
add``, ``you should offer``, ``sería genial``, ``podrían añadir``,
``siūlau``, ``būtų gerai``, ``reikėtų`` …

*Recurring phrases* find themes outside the catalogue: each comment is split
at punctuation and stop words into runs of content words (intensifiers are
dropped, so ``very slow check-in`` gives ``slow check-in``); every 1–3-word
n-gram of a run is keyed by its stems and counted once per comment. A phrase
contained in a longer one with the same count is dropped, and single opinion
words (``great``, ``lento``) are not returned on their own.

Limits, honestly
----------------
This is word matching, not understanding. Sarcasm, irony and mixed judgements
are read literally, and a complaint told only in facts ("the price is too
high") has no opinion word and reads neutral unless a theme carries a tone.
Negation is a three-token window, so distant or double negations can be
misread. A typo in a keyword, or a Lithuanian word missing a diacritic the
stemmer needed (``greiciau``), is missed. Stems collide (``paslauga`` service /
``paslaugus`` helpful; ``help``/``helpful``): the lists match such words
exactly, and loading fails if two scored words share a stem. Detection on one
or two words is a guess: ``Super!`` or ``OK`` is decided by the hint, or is
``""``. The keyword lists are short and hand-written and miss paraphrases; the
themes are meant for trends across many comments, not for judging one. Only
en, es and lt have sentiment and theme lists: other languages get neutral
sentiment (emoticons aside) and no themes. The labelled comments in
``tests/test_text.py`` were written while the lists were, so their perfect
scores say the method works on such comments, not how often it is right on
real ones. The Snowball stemmers are not thread-safe, so each thread has its
own.
"""

from __future__ import annotations

import math
import re
import threading
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrPromise

if TYPE_CHECKING:
    from snowballstemmer.basestemmer import BaseStemmer

__all__ = ["THEMES", "Analysis", "Theme", "analyse", "detect_language", "recurring_phrases"]

POSITIVE_THRESHOLD = 0.15
NEGATIVE_THRESHOLD = -0.15

LEXICON_LANGUAGES = ("en", "es", "lt")
DETECTABLE_LANGUAGES = ("en", "es", "lt", "de", "fr", "pt", "it", "pl", "lv", "ru", "uk")

_LEXICON_DIR = Path(__file__).resolve().parent / "lexicon"  # one word list per detectable language
_SNOWBALL = {
    "en": "english",
    "es": "spanish",
    "lt": "lithuanian",
    "de": "german",
    "fr": "french",
    "pt": "portuguese",
    "it": "italian",
    "pl": "polish",
    "ru": "russian",
}

NEG = "¬"  # the key every negator token gets
_NEGATION_WINDOW = 3  # tokens before a sentiment word or theme match that a negator reaches
_NEG_PART_GAP = 2  # tokens allowed between a NEG part of a theme pattern and the part it negates
_DEFAULT_GAP = 4  # tokens allowed between the parts of an `&` theme pattern
_NEGATED_FACTOR = -0.75
_CAPS_FACTOR = 1.5
_SUPERLATIVE_FACTOR = 1.3
_EXCLAMATION_BOOST = 0.292
_NORMALISATION_ALPHA = 15.0


# ---------------------------------------------------------------------------
# Public types
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Analysis:
    language: str  # "en" | "es" | "lt" | another code from DETECTABLE_LANGUAGES | "" when unknown / too short
    sentiment: float  # -1.0 .. 1.0
    sentiment_label: str  # "negative" | "neutral" | "positive"
    themes: tuple[str, ...]  # theme keys from THEMES, sorted, unique
    is_idea: bool  # the comment suggests something


@dataclass(frozen=True, eq=False)
class Theme:
    label: StrPromise
    keywords: Mapping[str, tuple[str, ...]]  # language -> patterns (notation in the module docstring)
    polar: bool = False  # a negated match means `opposite` (or nothing), not this theme
    opposite: str = ""
    tone: int = 0  # +1 praise, -1 complaint, 0 a topic either way: added to the sentiment of a non-idea comment


THEMES: dict[str, Theme] = {
    "lack_of_information": Theme(
        label=_("Lack of information"),
        polar=True,
        tone=-1,
        keywords={
            "en": (
                "lack|lacking|insufficient|incomplete|missing &3 information|info|communication|details|clarity"
                "|instructions|explanation|updates",
                "NEG & information|info|details|explanation|explained|instructions|update|updates|notice|informed"
                "|told|warned|notified|clear|idea",
                "information|info|instructions|details &3 NEG provided|NEG given|NEG available|NEG clear|NEG sent"
                "|NEG shared",
                "more information|more info|more details|more clarity|more detailed|more explanation"
                "|more instructions|more updates|clearer information|clearer instructions|better information"
                "|better communication",
                "unclear|confusing|vague|misinformed|misleading|contradictory|conflicting|uninformed"
                "|left in the dark|had to guess",
                "should have|could have|would have &1 told|informed|warned|mentioned|explained|said",
            ),
            "es": (
                "falta|faltó|faltaba|carencia|escasa|insuficiente|incompleta|incompleto &3 información|info"
                "|comunicación|claridad|detalles|explicación|explicaciones|instrucciones|datos|indicaciones",
                "NEG & información|info|explicaron|explicó|explicación|explicaciones|informaron|informó|informado"
                "|informados|avisaron|avisó|aviso|instrucciones|indicaciones|dijeron|dijo|detalles|claro|clara"
                "|claridad|sabía|sabíamos|sabían|idea|comunicación|comunicaron|novedades|contaron",
                "más &1 información|info|detalles|claridad|explicaciones|instrucciones|comunicación|indicaciones",
                "confus*|contradictoria|contradictorias|contradictorio|desinformación|desinformados|mal informados"
                "|mal informado|a ciegas|a oscuras",
            ),
            "lt": (
                "trūko|trūksta|trūkumas|stinga|stigo|pritrūko|maža &3 informacij*|info|detal*|paaiškin*|paaiskin*"
                "|aiškum*|aiskum*|instrukcij*|nurodym*|bendravim*|komunikacij*",
                "NEG & informacij*|info|paaiškin*|paaiskin*|informav*|pranešė|pranese|pranešim*|pranesim*"
                "|instrukcij*|nurodym*|aišk*|aisk*|žinojo|zinojo|žinojome|zinojome|žinojau|zinojau|=pasakė|=pasake"
                "|detal*|suprat*",
                "daugiau &1 informacij*|info|detal*|aiškum*|aiskum*|paaiškinim*|paaiskinim*|instrukcij*",
                "painu|painus|paini|klaidin*|prieštaring*|priestaring*",
                "aiškesn*|aiskesn* &2 nurodym*|informacij*|instrukcij*|paaiškinim*|paaiskinim*",
            ),
        },
    ),
    "slow_response": Theme(
        label=_("Slow or no response"),
        polar=True,
        tone=-1,
        keywords={
            "en": (
                "reply|response|answer|respond|replied|answered|responded|hear back|get back|got back|email|ticket"
                "|callback|call back & slow|wait|waited|waiting|=days|=weeks|=hours|=months|forever|ages|late|delay"
                "|delayed|eventually|finally|long|took",
                "NEG & reply|response|answer|respond|replied|answered|responded|hear back|heard back|get back"
                "|got back|call back|called back|callback|contact|contacted|reaction|news",
                "still waiting|unanswered|on hold &3 long|forever|hour|ages|=minutes",
                "ignored &2 email|emails|message|messages|ticket|tickets|calls",
            ),
            "es": (
                "respuesta|respuestas|responder|respondieron|respondió|contestar|contestaron|contestó|contestación"
                "|correo|email|mail|ticket|solicitud|consulta|llamada & tardaron|tardó|tardan|tarda|tardar"
                "|tardanza|esperar|esperé|esperamos|esperando|espera|=dias|=semanas|=semana|=horas|lenta|lento"
                "|lentitud|demora|demoró|demoraron|retraso|todavía|aún|eternidad|siglos",
                "NEG & respuesta|responder|respondieron|respondió|responden|contestaron|contestó|contestan"
                "|contestar|contestación|llamaron|noticias",
                "sigo esperando|seguimos esperando",
            ),
            "lt": (
                "atsakym*|atsak*|atrašė|atrase|parašė|parase|laišk*|laisk*|užklaus*|uzklaus*|skambut*|susisiek*"
                " & lauk*|ilgai|ilgas|ilga|ilgą|dien*|savait*|valand*|=vėlai|vėluoja|vėlavo|lėt*|let*|tik po"
                "|vis dar|užtruk*|uztruk*",
                "NEG & atsak*|atsakym*|atrašė|atrase|parašė|parase|susisiek*|perskambin*|paskambin*|reagav*",
                "vis dar lauk*|iki šiol lauk*",
            ),
        },
    ),
    "fast_response": Theme(
        label=_("Quick response"),
        polar=True,
        tone=1,
        opposite="slow_response",
        keywords={
            "en": (
                "reply|response|answer|respond|replied|answered|responded|got back|solved|resolved|=fixed|sorted"
                "|support|help|helped & quick|quickly|fast|prompt|promptly|immediately|immediate|instantly|instant"
                "|right away|speedy|swift|swiftly|rapid|within minutes|in minutes|few minutes|couple of minutes"
                "|within an hour|within the hour|in an hour"
                "|same day|no time",
            ),
            "es": (
                "respuesta|respondieron|respondió|responder|contestaron|contestó|resolvieron|resolvió|solucionaron"
                "|solucionó|atendieron|atendió|atención|ayuda|ayudaron|ayudó|gestión & rápida|rápido|rápidos"
                "|rápidamente|rapidez|enseguida|inmediata|inmediato|inmediatamente|al momento|al instante|pronto"
                "|veloz|en minutos|en pocos minutos|el mismo día|ágil|agilidad",
            ),
            "lt": (
                "atsakym*|atsak*|išsprend*|issprend*|išspręst*|issprest*|=sutvarkė|=sutvarke|padėj*|padej*|pagalb*"
                "|reagav*"
                "|aptarnav* & greit*"
                "|iškart|iskart|iš karto|akimirksniu|operatyv*|nedelsiant|tuoj pat|per kelias minutes"
                "|per valandą|tą pačią dieną|žaibiškai|zaibiskai",
            ),
        },
    ),
    "slow_check_in": Theme(
        label=_("Slow check-in"),
        polar=True,
        tone=-1,
        keywords={
            "en": (
                "check-in|checkin|checked in|checking in|reception|front desk|arrival|arrived|registration|=key"
                "|=keys"
                " & slow|slowly|wait|waited|waiting|long|queue|line|forever|ages|hour|delay",
            ),
            "es": (
                "check-in|checkin|recepción|registro|llegada|llegamos|entrada|llave|llaves & lento|lenta|lentitud"
                "|esperar"
                "|esperamos|esperé|esperando|espera|cola|fila|colas|hora|horas|eterno|eternidad|demora|demoró"
                "|tardó|tardaron|siglos",
            ),
            "lt": (
                "registracij*|registrav*|užsiregistr*|uzsiregistr*|įsiregistr*|isiregistr*|check-in|checkin"
                "|recepcij*|registratūr*|registratur*|atvyk*|rakt* & lėt*|let*|lauk*|eil*|ilgai|ilga|ilgas|ilgą"
                "|valand*|užtruk*|uztruk*|amžinyb*|amzinyb*",
            ),
        },
    ),
    "rude_staff": Theme(
        label=_("Rude or unfriendly staff"),
        polar=True,
        tone=-1,
        keywords={
            "en": (
                "rude|rudely|impolite|unfriendly|unprofessional|arrogant|dismissive|condescending|disrespectful"
                "|hostile|grumpy|sarcastic|patronising|patronizing|yelled|shouted|snapped|attitude|=unwelcoming"
                "|=unkind|=impatient|ignored us|ignored me",
            ),
            "es": (
                "grosero|grosera|groseros|grosería|maleducado|maleducada|maleducados|mal educado|mal educada"
                "|mal educados|borde|bordes|antipático|antipática|antipáticos|prepotente|prepotentes|prepotencia"
                "|desagradable|desagradables|irrespetuoso|irrespetuosa|falta de respeto|falta de educación"
                "|mala actitud|malas maneras|mal trato|malos modos|malas formas|gritó|gritaron|arrogante"
                "|arrogantes|despectivo|despectiva|sarcástico|nos ignoraron|me ignoraron|desprecio|mala cara",
            ),
            "lt": (
                "grub*|arogant*|įžūl*|izul*|abejing*|šiurkšt*|siurkst*|rėkė|reke|šaukė|sauke|ignoravo|ignoruoja"
                "|nepagarb*|neprofesional*|pasityčiojo|pasityciojo|niekinan*|storžiev*|storziev*",
            ),
        },
    ),
    "friendly_staff": Theme(
        label=_("Friendly staff"),
        polar=True,
        tone=1,
        opposite="rude_staff",
        keywords={
            "en": (
                "=friendly|=friendlier|=friendliest|kind|kindly|polite|politely|courteous|welcoming|warm welcome"
                "|attentive|caring|smile|smiling|=sweet|=respectful|=patient|patience|hospitable|hospitality",
                "staff|receptionist|receptionists|team|agent|people|lady|guy|employees|host|hosts|manager"
                "|everyone|personnel|concierge >4 nice|lovely|wonderful|amazing|fantastic|super|great",
                "nice|lovely|wonderful|amazing|fantastic|super|great >0 staff|receptionist|receptionists|team|agent"
                "|people|lady|guy|employees|host|hosts|manager|everyone|personnel|concierge",
            ),
            "es": (
                "amable|amables|amabilidad|simpático|simpática|simpáticos|simpáticas|majo|maja|majos|majas|atento"
                "|atenta|atentos|atentas|cordial|cordiales|cordialidad|cortés|=encantador|=encantadora|=encantadores"
                "|sonrisa|sonriente|buen trato|trato excelente|trato amable|cálido|cálida|cariñoso|cariñosa"
                "|paciente|pacientes|paciencia|respetuoso|respetuosa|hospitalidad|hospitalarios",
            ),
            "lt": (
                "=malonus|=maloni|=malonūs|=malonios|=maloniai|=malonią|=malonų|mandag*|draugišk*|draugisk*"
                "|=paslaugus|=paslaugi|=paslaugūs|=paslaugios|=paslaugiai|šiltai|siltai|šypsen*|sypsen*"
                "|šypsojosi|sypsojosi|dėmesing*|demesing*|rūpesting*|rupesting*|kantr*|svetin*|geranorišk*"
                "|geranorisk*",
            ),
        },
    ),
    "helpful_answer": Theme(
        label=_("Helpful answer"),
        polar=True,
        tone=1,
        opposite="unhelpful_answer",
        keywords={
            "en": (
                "=helpful|=useful|=informative|solved|resolved|=fixed|sorted out|sorted it|sorted everything"
                "|answered all"
                "|clear answer|clear explanation|clear instructions|explained everything|explained clearly"
                "|explained well|great help|big help|exactly what i needed|step by step|=thorough"
                "|detailed answer|detailed explanation|good advice|great advice",
                "answer|explanation|instructions|information|info|reply|response|advice >3 clear|detailed|thorough"
                "|=helpful|=useful|precise",
            ),
            "es": (
                "útil|útiles|utilidad|resolvieron|resolvió|resuelto|resuelta|solucionaron|solucionó|solucionado"
                "|solucionada|solución|=ayudaron|=ayudó|gran ayuda|=informativo|=informativa",
                "respuesta|explicación|información|instrucciones &3 clara|claras|claro|claros|completa|completo"
                "|detallada|detallado|precisa|precisas|exacta|concreta|perfecta",
                "explicaron|explicó &3 bien|todo|claramente|perfectamente|detalle",
            ),
            "lt": (
                "=naudinga|=naudingas|=naudingi|=naudingą|=naudingos|=naudingų|=naudingai|išsprend*|issprend*"
                "|išspręst*|issprest*|=sutvarkė|=sutvarke|padėjo|padejo|padėjote|padejote|pagelbėj*|pagelbej*"
                "|informatyv*|išsam*|issam*|=aiškiai|=aiskiai|atsakė į visus",
                "paaiškin*|paaiskin* &3 aiškiai|aiskiai|išsamiai|issamiai|viską|viska|puikiai|gerai|kantriai"
                "|detaliai|suprantamai",
            ),
        },
    ),
    "unhelpful_answer": Theme(
        label=_("Unhelpful answer"),
        polar=True,
        tone=-1,
        keywords={
            "en": (
                "useless|=unhelpful|pointless|=irrelevant|nonsense|=unresolved|=unsolved|same problem|still NEG",
                "NEG & help|helped|solve|solved|resolve|resolved|fix|=fixed|=helpful|=useful|address|addressed",
                "answer|reply|response|advice|information|info &2 wrong|=incorrect|=irrelevant|=inaccurate",
            ),
            "es": (
                "inútil|inútiles|irrelevante|mismo problema",
                "NEG & sirvió|sirve|sirven|servido|resolvieron|resolvió|resolver|resuelto|solucionaron|solucionó"
                "|solucionar|solución|solucionado|=ayudaron|=ayudo|=ayudar|=ayuda|útil",
                "respuesta|información|respuestas &2 incorrecta|incorrecto|errónea|equivocada|irrelevante",
            ),
            "lt": (
                "beverti*|beprasm*|ta pati problema|vis dar NEG",
                "NEG & padėjo|padejo|padėjote|padėti|padeti|padės|išsprend*|issprend*|išspręst*|issprest*"
                "|=sutvarkė|=sutvarkėte|suprato|supratote|=naudinga|=naudingas|=naudingi|=naudingą|=naudingos",
                "atsakym* &2 netiksl*|klaiding*|nesusij*",
            ),
        },
    ),
    "link_only_answer": Theme(
        label=_("Only a link or a canned reply"),
        polar=True,
        tone=-1,
        keywords={
            "en": (
                "link|links|url & only|just|simply|merely|=faq|=faqs|article|articles|help center|help centre"
                "|helpcenter|knowledge base|documentation|manual",
                "=faq|=faqs & read|told|pointed|referred|directed|sent|redirected",
                "pointed|referred|redirected &3 website|site|page|article|help center|help centre|documentation",
                "canned|=template|=templated|copy paste|copy-paste|copied and pasted|copy and paste|scripted"
                "|=bot|=chatbot|robot|robotic",
                "automated|automatic|generic &1 answer|reply|response|message|email",
            ),
            "es": (
                "enlace|enlaces|link|links|vínculo & solo|solamente|únicamente|simplemente|nomás|genérico|genérica"
                "|automático|automática|faq"
                "|preguntas frecuentes|centro de ayuda|artículo|página de ayuda",
                "respuesta|respuestas|contestación|mensaje|correo &3 automática|automático|automáticas|genérica"
                "|genérico|genéricas|plantilla|predefinida|copiada|copiado|robot|robotizada",
                "copia y pega|copiar y pegar|copiado y pegado|corta y pega|=plantilla|=chatbot|=bot",
                "remitieron|remitió|redirigieron|redirigió|mandaron|mandó|enviaron|envió|leer|leyera|lea|consultar"
                "|consultara|revisar|revisara & faq"
                "|preguntas frecuentes|artículo|centro de ayuda|página de ayuda",
            ),
            "lt": (
                "nuorod* & tik|vien|tiesiog|duk|dažniausiai užduodam*|pagalbos centr*|straipsn*|žinių baz*|ziniu baz*",
                "atsakym*|atsakė|atsake|laišk*|laisk* &3 automatin*|šablonin*|sablonin*|robot*|kopij*|nukopij*"
                "|standartin*",
                "nukreipė|nukreipe|nusiuntė|nusiunte|atsiuntė|atsiunte & duk|straipsn*|pagalbos centr*",
                "šablonin*|sablonin*|=robotas|robotišk*|robotisk*|copy paste",
            ),
        },
    ),
    "price_billing": Theme(
        label=_("Price and billing"),
        keywords={
            "en": (
                "price|prices|pricing|priced|expensive|overpriced|cheap|cheaper|cost|costs|costly|fee|fees"
                "|invoice|invoiced|bill|billing|billed|payment|paid|pay|=charge|=charged|=charges|overcharged"
                "|refund|refunded|money|deposit|tariff|=rates",
            ),
            "es": (
                "precio|precios|=caro|=caros|=carisimo|=carisima|barato|barata|baratos|coste|costo|costó|cobro"
                "|cobran|cobraron|cobró|cobrar|cobrado|factura|facturas|facturación|facturaron|pago|pagos|pagar"
                "|pagué|pagamos|pagado|tarifa|tarifas|reembolso|reembolsar|devolución|dinero|importe|suplemento"
                "|fianza|calidad precio|calidad-precio",
            ),
            "lt": (
                "kain*|brang*|pigu|pigus|pigiau|pigesn*|mokest*|mokėjim*|mokejim*|sumokė*|sumoke*|apmokė*|apmoke*"
                "|permokė*|permoke*|sąskait*|saskait*|pinig*|nuskaič*|nuskaic*|išlaid*|islaid*|nuolaid*"
                "|=nemokamai|=nemokamas|=nemokama|=nemokami|depozit*",
            ),
        },
    ),
    "cleanliness": Theme(
        label=_("Cleanliness"),
        keywords={
            "en": (
                "clean|cleaner|cleaning|cleanliness|=unclean|dirty|dirt|filthy|dust|dusty|stain|stains|stained"
                "|=hair|=hairs|smell|smelled|smelly|stink|stinks|odor|odour|mould|mold|mouldy|moldy|hygiene"
                "|hygienic|tidy|untidy|spotless|cockroach|cockroaches|bedbugs|bed bugs|=grime|=grimy",
            ),
            "es": (
                "limpio|limpia|limpios|limpias|limpieza|limpiar|limpiaron|sucio|sucia|sucios|sucias|suciedad"
                "|polvo|mancha|manchas|manchado|manchada|olor|olores|huele|olía|higiene|pelos|cucaracha"
                "|cucarachas|chinches|moho|mugre|mugriento|asqueroso|asquerosa",
            ),
            "lt": (
                "švarus|švaru|švari|švarūs|švara|švariai|švaros|purv*|dulk*|=dėmė|=dėmės|=dėmių|=dėmėmis"
                "|dėmėt*|demet*|kvap*|smird*|higien*|tvarking*|netvark*|plauk*|pelėsi*|pelesi*|tarakon*"
                "|valym*|išvalyt*|isvalyt*|išvalė|isvale",
            ),
        },
    ),
    "technical_problem": Theme(
        label=_("Technical problem"),
        polar=True,
        tone=-1,
        keywords={
            "en": (
                "error|errors|bug|bugs|glitch|glitches|crash|crashes|crashed|crashing|outage|=timeout|freeze|froze"
                "|frozen|=freezes|=offline",
                "NEG & work|works|working|worked|load|loading|open|connect|accept|let me|log in|login|log into"
                "|sign in|sign into|access",
                "app|website|site|page|portal|system|form|button|login|password|link &3 broken|down|problem"
                "|problems|issue|issues|error|failed|fails|failing|bug|slow|=glitchy|=buggy",
            ),
            "es": (
                "error|errores|fallo|fallos|falla|fallas|falló|=bug|se cae|se caía|se cayó|caída|caído|se cuelga"
                "|se colgó|colgada|bloqueó|bloquea|bloqueada|pantalla en blanco",
                "NEG & funciona|funcionaba|funcionó|funcionan|funcionar|=carga|=cargaba|=cargar|=cargan|abre"
                "|abría|abrir|conecta|conectar|deja|dejaba|dejó|entrar|acceder|iniciar sesión",
                "app|aplicación|web|página|sistema|plataforma|formulario|botón|contraseña|enlace &3 error|errores"
                "|fallo|falla|problema|problemas|roto|rota|caída|lenta|lento|bloquea",
            ),
            "lt": (
                "strig*|užstrig*|uzstrig*|lūž*|luz*|nulūž*|nuluz*|sutrikim*|gedim*|sugedo|=bug|=error",
                "NEG & veik*|pavyk*|prisijung*|atsidar*|įsikel*|isikel*|užkrau*|uzkrau*|krauna",
                "programėl*|programel*|svetain*|sistem*|puslap*|aplikacij*|=app|prisijungim*|slaptažod*"
                "|slaptazod* &3 problem*|klaid*|strig*|lėt*|let*|sutrikim*|nulūž*|nuluz*",
            ),
        },
    ),
    "communication_language": Theme(
        label=_("Language of communication"),
        keywords={
            "en": (
                "language|languages|=english|=spanish|=lithuanian|=russian|=german|=french|=polish|=latvian"
                "|translate|translation|translator|=translated|language barrier",
            ),
            "es": (
                "idioma|idiomas|inglés|ingles|español|castellano|lituano|ruso|alemán|francés|traducción|traducir"
                "|traductor|traductora|tradujeron|barrera idiomática|=lengua",
            ),
            "lt": (
                "=kalba|=kalbos|=kalbą|=kalbų|=kalbomis|=kalbai|angl*|lietuvišk*|lietuvisk*|lietuvi*|rusišk*"
                "|rusisk*|rusų|rusu|ispan*|vokišk*|vokisk*|vertim*|vertėj*|vertej*|išvert*|isvert*",
            ),
        },
    ),
    "wifi": Theme(
        label=_("Wi-Fi and internet"),
        keywords={
            "en": ("wifi|internet|wireless|=wlan|router|hotspot",),
            "es": ("wifi|internet|inalámbrica|router",),
            "lt": (
                "wifi|=internetas|=interneto|=internetą|=internete|=internetui|bevieli*|maršrutizator*|marsrutizator*",
            ),
        },
    ),
}


# Ideas: patterns on the folded, lower-cased text (diacritics dropped, so "sería" is written "seria").
_IDEA_PATTERNS: dict[str, tuple[str, ...]] = {
    "en": (
        r"\bwould (?:be|have been) (?:really |very |so |much |even |a )?(?:nice|great|good|helpful|useful|better"
        r"|ideal|awesome|cool|easier|handy|lovely|convenient|idea)\b",
        r"\b(?:it'?d|it would|that would) (?:help|be nice|be great)\b",
        r"\bwould (?:love|like) (?:to see|it if|if)\b",
        r"\b(?:please|pls|plz),? (?:add|make|consider|provide|offer|allow|include|let|introduce|improve|hire"
        r"|install|put|bring|create|update|change|think about)\b",
        r"\b(?:you|they|hotel|company|staff|we|there) (?:really )?(?:should|could|might|ought to) (?:add|offer"
        r"|provide|consider|hire|install|put|include|introduce|create|make|allow|let|give|send|think about|try"
        r"|update|improve|train|change|open|extend|start|implement|display|show|list|mention|explain|use|be)\b",
        r"\b(?:should|could) have (?:a|an|more|some|better|extra|someone|somebody)\b",
        r"\bi (?:would |'d )?(?:suggest|propose)\b",
        r"\b(?:suggestion|my idea|an idea|feature request)\b",
        r"\bi (?:would |'d )?recommend (?:that|adding|to|having|making|offering)\b",
        r"\bwhy not\b",
        r"\bhow about\b",
        r"\bi wish (?:there|you|they|the|it|we|your)\b",
        r"\b(?:maybe|perhaps) (?:add|adding|you could|offer|consider|have|some|more)\b",
        r"\bconsider (?:adding|offering|having|hiring|making|providing|installing)\b",
        r"\bwould it be possible\b",
        r"\bcould you (?:please )?(?:add|make|offer|provide|consider|include|let|allow|send|show|give)\b",
    ),
    "es": (
        r"\bseria (?:muy |mas |super |realmente |todo un )?(?:bueno|buena|genial|util|mejor|ideal|interesante"
        r"|conveniente|estupendo|bonito|recomendable|de ayuda|practico|fantastico|perfecto|un detalle|un puntazo)\b",
        r"\bestaria (?:muy )?(?:bien|genial|guay|bueno)\b",
        r"\b(?:me|nos) gustaria (?:que|ver|poder|tener)\b",
        r"\b(?:podrian|deberian|tendrian que|convendria|habria que|hay que|podria|deberia) (?:\w+ )?(?:anadir"
        r"|poner|agregar|incluir|ofrecer|mejorar|tener|habilitar|considerar|dar|hacer|cambiar|contratar|enviar"
        r"|mandar|permitir|instalar|crear|implementar|abrir|ampliar|explicar|informar|avisar|indicar)\b",
        r"\b(?:sugiero|sugerencia|sugerimos|propongo|propuesta|mi idea|una idea)\b",
        r"\brecomendaria (?:que|anadir|poner|tener)\b",
        r"\bojala (?:que )?(?:pusieran|pongan|tuvieran|tengan|anadieran|anadan|hubiera|haya|ofrecieran)\b",
        r"\bpor que no (?:ponen|anaden|agregan|ofrecen|incluyen|hacen|tienen|crean|habilitan)\b",
        r"\b(?:anadan|pongan|agreguen|incluyan|ofrezcan|habiliten|permitan|contraten|instalen|mejoren)\b",
    ),
    "lt": (
        r"\b(?:siulau|siulyciau|pasiulymas|pasiulyciau|pasiulymai|siulymas|pasiulau|pasiulysiu|siulome)\b",
        r"\bbutu (?:labai |tikrai |dar |daug |visai )?(?:gerai|puiku|sauniai|saunu|naudinga|malonu|smagu|patogu"
        r"|verta|geriau|idealu|nuostabu|faina|gera)\b",
        r"\b(?:reiketu|vertetu|deretu|galetumete|galetumet|turetumete|turetumet|turetu)\b",
        r"\bgaletu (?:\w+ )?(?:prideti|ideti|pasiulyti|irengti|isdiegti|padaryti|pakeisti|itraukti|suteikti"
        r"|informuoti|paaiskinti|atsiusti|pagerinti|sukurti|tureti|pasamdyti|atnaujinti|skirti|buti)\b",
        r"\bnoreci(?:au|ausi|ausim|me),? kad\b",
        r"\bnoretusi,? kad\b",
        r"\b(?:prasau|prasome|prasyciau) (?:prideti|ideti|irengti|padaryti|pakeisti|itraukti|pagerinti)\b",
        r"\b(?:pridekite|idekite|irenkite|isdiekite|padarykite|itraukite|pasirupinkite|pagalvokite|pakeiskite"
        r"|sukurkite|pasamdykite|atnaujinkite)\b",
        r"\bkodel (?:gi )?ne(?:\b|pridej|idej|padar)",
        r"\bideja\b",
    ),
}

# Token merges applied before anything else, so both the text and the theme patterns see one token.
_MERGES: dict[str, dict[tuple[str, str], str]] = {
    "": {("check", "in"): "check-in", ("check", "out"): "check-out", ("wi", "fi"): "wi-fi"},
    "en": {("why", "not"): "why-not", ("kind", "of"): "kind-of", ("sort", "of"): "sort-of", ("e", "mail"): "e-mail"},
    "es": {("sin", "embargo"): "sinembargo"},
    "lt": {
        ("be", "galo"): "begalo",
        ("šiek", "tiek"): "šiektiek",
        ("siek", "tiek"): "šiektiek",
        ("vis", "dėlto"): "visdėlto",
        ("vis", "delto"): "visdėlto",
    },
}
# Words that negate ("poco útil", "little information") unless an article precedes them ("un poco lento").
_ARTICLE_DIMINISHERS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "en": (frozenset({"little"}), frozenset({"a"})),
    "es": (frozenset({"poco", "poca", "pocos", "pocas"}), frozenset({"un", "una", "unos", "unas"})),
}
_EMOTICONS: dict[str, float] = {
    ":)": 2.0, ":-)": 2.0, ":d": 2.0, ":-d": 2.0, ";)": 1.5, ";-)": 1.5, ":(": -2.0, ":-(": -2.0,
    "🙂": 2.0, "😊": 2.0, "😀": 2.0, "😃": 2.0, "😁": 2.0, "😍": 3.0, "👍": 2.0, "❤": 3.0, "♥": 3.0, "🙏": 1.5,
    "🙁": -2.0, "☹": -2.0, "😞": -2.0, "😠": -2.5, "😡": -3.0, "👎": -2.0, "😢": -2.0, "😤": -2.0,
}  # fmt: skip

# Language cues from letters: (language, weight) for each occurrence of the letter.
_LETTER_CUES: dict[str, tuple[tuple[str, float], ...]] = {
    "ñ": (("es", 1.5),), "¿": (("es", 2.0),), "¡": (("es", 2.0),),
    "á": (("es", 0.4), ("pt", 0.3)), "í": (("es", 0.4), ("pt", 0.2)), "ó": (("es", 0.4), ("pt", 0.2), ("pl", 0.3)),
    "ú": (("es", 0.4), ("pt", 0.2)), "é": (("es", 0.3), ("fr", 0.4), ("pt", 0.2)),
    "ė": (("lt", 1.5),), "į": (("lt", 1.5),), "ų": (("lt", 1.5),), "ą": (("lt", 0.8), ("pl", 0.8)),
    "ę": (("lt", 0.8), ("pl", 0.8)), "ū": (("lt", 0.8), ("lv", 0.8)), "č": (("lt", 0.6), ("lv", 0.6)),
    "š": (("lt", 0.6), ("lv", 0.6)), "ž": (("lt", 0.6), ("lv", 0.6)),
    "ā": (("lv", 1.5),), "ē": (("lv", 1.5),), "ī": (("lv", 1.5),), "ķ": (("lv", 1.5),), "ļ": (("lv", 1.5),),
    "ņ": (("lv", 1.5),), "ģ": (("lv", 1.5),),
    "ł": (("pl", 1.5),), "ń": (("pl", 1.5),), "ś": (("pl", 1.5),), "ź": (("pl", 1.5),), "ż": (("pl", 1.5),),
    "ć": (("pl", 1.5),),
    "ã": (("pt", 1.5),), "õ": (("pt", 1.5),), "ç": (("pt", 0.6), ("fr", 0.6)), "ê": (("pt", 0.5), ("fr", 0.5)),
    "â": (("pt", 0.4), ("fr", 0.4)), "ô": (("pt", 0.4), ("fr", 0.4)), "à": (("fr", 0.4), ("it", 0.4), ("pt", 0.2)),
    "è": (("fr", 0.6), ("it", 0.6)), "ù": (("fr", 0.5), ("it", 0.3)), "î": (("fr", 0.8),), "û": (("fr", 0.8),),
    "ë": (("fr", 0.8),), "ï": (("fr", 0.8),), "œ": (("fr", 1.5),), "ì": (("it", 1.0),), "ò": (("it", 1.0),),
    "ä": (("de", 1.0),), "ö": (("de", 1.0),), "ü": (("de", 1.0),), "ß": (("de", 1.5),),
    "ы": (("ru", 1.5),), "э": (("ru", 1.5),), "ъ": (("ru", 1.5),), "ё": (("ru", 1.5),),
    "і": (("uk", 1.5),), "ї": (("uk", 1.5),), "є": (("uk", 1.5),), "ґ": (("uk", 1.5),),
}  # fmt: skip
# Word endings (on folded words of five letters or more): weak votes for short comments without stop words.
_ENDING_CUES: dict[str, tuple[tuple[str, float], ...]] = {
    "ing": (("en", 0.4),), "ly": (("en", 0.3),), "ed": (("en", 0.3),), "ght": (("en", 0.4),),
    "cion": (("es", 0.5),), "ado": (("es", 0.3), ("pt", 0.2)), "ada": (("es", 0.3), ("pt", 0.2)),
    "ido": (("es", 0.3), ("pt", 0.2)), "ida": (("es", 0.3), ("pt", 0.2)), "aron": (("es", 0.5),),
    "ieron": (("es", 0.6),), "mente": (("es", 0.3), ("pt", 0.2), ("it", 0.2)), "dad": (("es", 0.5),),
    "os": (("es", 0.2), ("pt", 0.2)),
    "as": (("lt", 0.2), ("es", 0.1)), "ys": (("lt", 0.4),), "us": (("lt", 0.2),), "ai": (("lt", 0.3),),
    "iai": (("lt", 0.4),), "ams": (("lt", 0.4),), "oje": (("lt", 0.5),), "uje": (("lt", 0.5),),
    "iau": (("lt", 0.5),), "ejo": (("lt", 0.3),), "ome": (("lt", 0.3),), "tis": (("lt", 0.3),),
    "ius": (("lt", 0.4),), "ija": (("lt", 0.3),), "ijos": (("lt", 0.5),),
    "cao": (("pt", 0.6),), "oes": (("pt", 0.3),), "zione": (("it", 0.8),), "ung": (("de", 0.6),),
    "lich": (("de", 0.6),), "keit": (("de", 0.6),),
}  # fmt: skip
_ENDING_LENGTHS = sorted({len(e) for e in _ENDING_CUES}, reverse=True)
_APOSTROPHE_HEADS: dict[str, tuple[tuple[str, float], ...]] = {
    "l": (("fr", 0.5), ("it", 0.5)), "d": (("fr", 0.8),), "j": (("fr", 1.0),), "c": (("fr", 0.8),),
    "n": (("fr", 0.8),), "qu": (("fr", 1.0),), "s": (("fr", 0.5),), "m": (("fr", 0.5),), "dell": (("it", 1.0),),
    "all": (("it", 0.8),), "nell": (("it", 1.0),), "un": (("it", 0.8),), "dall": (("it", 1.0),),
}  # fmt: skip
_APOSTROPHE_TAILS = {"s": 0.3, "t": 1.0, "ve": 1.0, "m": 1.0, "re": 1.0, "ll": 1.0, "d": 0.8}  # English

_CONFIDENT_SCORE = 1.5
_CONFIDENT_RATIO = 1.5
_WEAK_SCORE = 0.6


# ---------------------------------------------------------------------------
# Folding, stemming
# ---------------------------------------------------------------------------


def _fold_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for codepoint in range(0xC0, 0x250):
        char = chr(codepoint)
        base = "".join(c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c))
        if base != char and base.isascii():
            table[codepoint] = base
    table.update({ord("ł"): "l", ord("ø"): "o", ord("đ"): "d", ord("ß"): "ss", ord("æ"): "ae", ord("œ"): "oe"})
    table.update({ord("’"): "'", ord("‘"): "'", ord("´"): "'"})
    return table


_FOLD = _fold_table()


def _fold(text: str) -> str:
    return text.translate(_FOLD)


_local = threading.local()


def _stemmer(language: str) -> BaseStemmer:
    # Snowball stemmer objects keep their state on the instance: one per thread. The package imports all its
    # languages (a third of a second), so not before the first word is stemmed.
    import snowballstemmer

    stemmers: dict[str, BaseStemmer] | None = getattr(_local, "stemmers", None)
    if stemmers is None:
        stemmers = _local.stemmers = {}
    stemmer = stemmers.get(language)
    if stemmer is None:
        stemmer = stemmers[language] = snowballstemmer.stemmer(_SNOWBALL[language])
    return stemmer


_SUPERLATIVE = re.compile(r"^(\w{2,}?)(qu|gu)?[ií]sim([oa]s?)$")


@lru_cache(maxsize=200_000)
def _stem(language: str, word: str) -> str:
    """The folded Snowball stem of a lower-cased word (hyphens removed)."""
    if language == "es":
        # Spanish absolute superlatives: lentísimo -> lento, riquísimo -> rico, larguísimo -> largo.
        match = _SUPERLATIVE.match(word)
        if match:
            stem_part, hard, ending = match.groups()
            word = stem_part + {"qu": "c", "gu": "g", None: ""}[hard] + ending
    if language not in _SNOWBALL:
        return _fold(word)
    return _fold(_stemmer(language).stemWord(word))


def _is_superlative(fold: str) -> bool:
    return fold.endswith(("isimo", "isima", "isimos", "isimas")) and len(fold) > 7


# ---------------------------------------------------------------------------
# Word lists
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Score:
    value: float
    negated: float


@dataclass
class _WordLists:
    stopwords: set[str]
    common: set[str]
    negators: set[str]
    intensifiers: dict[str, float]
    contrast: set[str]
    hypothetical: list[str]  # phrases whose words neither score nor name a theme ("would be nice")
    sentiment: list[tuple[str, float, float | None]]  # raw entries, folded lazily

    def entry_words(self) -> Iterator[str]:
        """The words of the sentiment and wish entries, without their "=" mark."""
        for entry in [e for e, _value, _negated in self.sentiment] + self.hypothetical:
            for word in entry.split():
                yield word.lstrip("=")


def _read_word_lists(language: str) -> _WordLists:
    lists = _WordLists(set(), set(), set(), {}, set(), [], [])
    path = _LEXICON_DIR / f"{language}.txt"
    section = ""
    for raw_line in path.read_text(encoding="utf-8").splitlines():
        line = raw_line.split("#", 1)[0].strip().lower()
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        words = line.split()
        if section in ("stopwords", "common", "negators", "contrast"):
            word_set: set[str] = getattr(lists, section)
            word_set.update(_fold(w) for w in words)
        elif section == "hypothetical":
            lists.hypothetical.append(line)
        elif section == "intensifiers":
            lists.intensifiers[_fold(words[0])] = float(words[1])
        elif section == "sentiment":
            numbers: list[float] = []
            while words and _is_number(words[-1]):
                numbers.insert(0, float(words.pop()))
            if not words or not numbers or len(numbers) > 2:
                raise ValueError(f"{path}: bad sentiment line {raw_line!r}")
            lists.sentiment.append((" ".join(words), numbers[0], numbers[1] if len(numbers) == 2 else None))
        else:
            raise ValueError(f"{path}: line outside a known section: {raw_line!r}")
    return lists


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@cache
def _word_lists(language: str) -> _WordLists:
    return _read_word_lists(language)


# ---------------------------------------------------------------------------
# Tokens
# ---------------------------------------------------------------------------

_TOKEN_RE = re.compile(
    r"[:;]-?[()dD]"  # emoticons
    r"|[^\W\d_]+(?:['’\-][^\W\d_]+)*"  # words, with inner apostrophes and hyphens
    r"|[.!?;…\n]+|[,:()\"“”«»]"  # sentence and clause breaks
    r"|[\U0001F300-\U0001FAFF\u2639\u263A\u2764\u2665]"  # a few emoji
)
_SENTENCE_BREAK = frozenset(".!?;…\n")


@dataclass
class _Doc:
    """A comment as parallel lists, one entry per token."""

    folds: list[str]  # folded word ("¬"-keyed tokens keep their word here)
    keys: list[str]  # stem key, or NEG
    surfaces: list[str]  # lower-cased word as written, for display
    caps: list[bool]
    sentence: list[int]
    clause: list[int]
    emoticon_score: float


@cache
def _merges(language: str) -> dict[tuple[str, str], str]:
    return _MERGES[""] | _MERGES.get(language, {})


def _raw_tokens(text: str, language: str) -> list[str]:
    merges = _merges(language)
    merged: list[str] = []
    previous = ""
    for token in _TOKEN_RE.findall(text):
        lower = token.lower()
        joined = merges.get((previous, lower))
        if joined is not None:
            merged[-1] = joined
            previous = joined
        else:
            merged.append(token)
            previous = lower
    return merged


def _tokenise(text: str, language: str, *, stem_all: bool = False) -> _Doc:
    analyser = _analyser(language) if language in LEXICON_LANGUAGES else None
    lists = _word_lists(language) if analyser is None and language in DETECTABLE_LANGUAGES else None
    all_caps_text = text.isupper()
    folds: list[str] = []
    keys: list[str] = []
    surfaces: list[str] = []
    caps_flags: list[bool] = []
    sentences: list[int] = []
    clauses: list[int] = []
    emoticon_score = 0.0
    sentence = clause = 0
    diminishers, articles = _ARTICLE_DIMINISHERS.get(language, (frozenset(), frozenset()))
    for token in _raw_tokens(text, language):
        first = token[0]
        if first.isalpha():
            lower = token.lower()
            if analyser is not None:
                pairs = _word_keys(analyser, lower, stem_all)
            else:
                pairs = (_plain_word_key(lists, language, lower, stem_all),)
            if pairs[0][1] == NEG and pairs[0][0] in diminishers and folds and folds[-1] in articles:
                pairs = ((pairs[0][0], pairs[0][0]),)  # "un poco lento": a diminisher, not a negation
            caps = not all_caps_text and len(token) >= 3 and token.isupper()
            surface = lower
            for fold, key in pairs:
                folds.append(fold)
                keys.append(key)
                surfaces.append(surface)
                caps_flags.append(caps)
                sentences.append(sentence)
                clauses.append(clause)
                surface = fold  # the remainder of a split "ne-" word
        elif first in _SENTENCE_BREAK:
            sentence += 1
            clause += 1
        elif token.lower() in _EMOTICONS:
            emoticon_score += _EMOTICONS[token.lower()]
        else:
            clause += 1
    return _Doc(folds, keys, surfaces, caps_flags, sentences, clauses, emoticon_score)


def _plain_word_key(lists: _WordLists | None, language: str, lower: str, stem_all: bool) -> tuple[str, str]:
    """(fold, key) in a language without a sentiment lexicon: only stop words and negators are known."""
    fold = _fold(lower).replace("-", "")
    if lists is not None and fold in lists.negators:
        return fold, NEG
    if not stem_all or (lists is not None and fold in lists.stopwords):
        return fold, fold
    return fold, _stem(language, lower.replace("-", ""))


# ---------------------------------------------------------------------------
# Per-language analyser: lexicon, themes, ideas compiled once
# ---------------------------------------------------------------------------


def _theme_words(language: str) -> Iterator[str]:
    """The words of the theme patterns of `language`, with their "=" and "*" marks."""
    for theme in THEMES.values():
        for pattern in theme.keywords.get(language, ()):
            yield from (word for word in re.split(r"[\s|&>\d]+", pattern) if word and word != "NEG")


@dataclass(frozen=True)
class _Pattern:
    theme: str
    parts: tuple[dict[int, tuple[tuple[int, ...], ...]], ...]  # part -> first atom -> alternatives (atoms)
    gaps: tuple[int, ...]  # per part after the first: tokens allowed between it and the part before
    ordered: tuple[bool, ...]  # per part after the first: it must come after the part before (`>`)
    neg_part: tuple[bool, ...]  # the part is a bare NEG


_NEG_ATOM = 0


class _Analyser:
    def __init__(self, language: str) -> None:
        self.language = language
        self.lists = _word_lists(language)
        self._ready = False
        self.stopwords = frozenset(self.lists.stopwords | set(self.lists.intensifiers) | self.lists.contrast)
        self.negators = frozenset(self.lists.negators)
        self.intensifiers = self.lists.intensifiers
        self.contrast = frozenset(self.lists.contrast)
        # The prefix gate: words whose first three folded letters start no lexicon word are not stemmed.
        words = [*self.lists.entry_words(), *(word.strip("=*") for word in _theme_words(language))]
        self.gate = frozenset(_fold(word).replace("-", "")[:3] for word in words)
        # Atoms for theme patterns.
        self.stem_atoms: dict[str, int] = {}
        self.exact_atoms: dict[str, int] = {}
        self.prefix_atoms: dict[str, list[tuple[str, int]]] = defaultdict(list)
        self._atom_ids: dict[tuple[str, str], int] = {("neg", NEG): _NEG_ATOM}
        self.patterns = tuple(self._compile_patterns())
        # atom -> (pattern, part) pairs it can start: a pattern is tried only when each of its parts can start.
        self.pattern_index: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for pattern_number, pattern in enumerate(self.patterns):
            for part_number, part in enumerate(pattern.parts):
                for atom in part:
                    self.pattern_index[atom].append((pattern_number, part_number))
        # Sentiment.
        self.exact_scores: dict[str, _Score] = {}
        self.key_scores: dict[str, _Score] = {}
        self.phrase_scores: dict[str, list[tuple[tuple[str, ...], _Score]]] = defaultdict(list)
        for entry, value, negated in self.lists.sentiment:
            score = _Score(value, negated if negated is not None else value * _NEGATED_FACTOR)
            words = entry.split()
            if len(words) > 1:
                keys = tuple(
                    key for word in _raw_tokens(entry, language) for _f, key in self._compute_word_keys(word, False)
                )
                self.phrase_scores[keys[0]].append((keys, score))
            elif entry.startswith("="):
                self.exact_scores[_fold(entry[1:])] = score
            else:
                key = self._compute_word_keys(entry, False)[0][1]
                if self.key_scores.get(key, score) != score:
                    # two words of the list share a stem: one of them must be matched exactly ("=word")
                    raise ValueError(f"{language} lexicon: {entry!r} has the stem {key!r} of another entry")
                self.key_scores[key] = score
        for phrases in self.phrase_scores.values():
            phrases.sort(key=lambda item: -len(item[0]))
        # Wishes are matched on their exact (folded) words: "me gustaría" is one, "me gustó" is not.
        self.hypothetical: dict[str, list[tuple[str, ...]]] = defaultdict(list)
        for entry in self.lists.hypothetical:
            folds = tuple(_fold(word.lower()).replace("-", "") for word in _raw_tokens(entry, language))
            self.hypothetical[folds[0]].append(folds)
        self._ready = True

    # -- keys ---------------------------------------------------------------

    def _key(self, lower: str, fold: str, *, stem_all: bool) -> str:
        if fold in self.stopwords:
            return fold
        if stem_all or fold[:3] in self.gate:
            return _stem(self.language, lower.replace("-", ""))
        return fold

    def _compute_word_keys(self, lower: str, stem_all: bool) -> tuple[tuple[str, str], ...]:
        fold = _fold(lower).replace("-", "")
        if fold in self.negators or (self.language == "en" and fold.endswith("n't")):
            return ((fold, NEG),)
        key = self._key(lower, fold, stem_all=stem_all)
        if self.language == "lt" and fold.startswith("ne") and len(fold) > 4 and not self._known(fold, key):
            rest_lower, rest_fold = lower[2:], fold[2:]
            rest_key = self._key(rest_lower, rest_fold, stem_all=True)
            if self._known(rest_fold, rest_key) and rest_fold not in self.negators:
                return ((fold, NEG), (rest_fold, rest_key))
        return ((fold, key),)

    def _known(self, fold: str, key: str) -> bool:
        if not self._ready:  # while compiling the lexicon itself
            return False
        return (
            fold in self.exact_scores
            or key in self.key_scores
            or key in self.stem_atoms
            or fold in self.exact_atoms
            or any(fold.startswith(prefix) for prefix, _atom in self.prefix_atoms.get(fold[:3], ()))
        )

    # -- theme patterns ----------------------------------------------------------

    def _atom(self, kind: str, value: str) -> int:
        ident = self._atom_ids.get((kind, value))
        if ident is None:
            ident = self._atom_ids[kind, value] = len(self._atom_ids)
            if kind == "stem":
                self.stem_atoms[value] = ident
            elif kind == "exact":
                self.exact_atoms[value] = ident
            else:
                if len(value) < 3:
                    raise ValueError(f"theme prefix {value!r} is shorter than three letters")
                self.prefix_atoms[value[:3]].append((value, ident))
        return ident

    def _alternative(self, text: str) -> tuple[int, ...]:
        atoms: list[int] = []
        plain: list[str] = []

        def flush() -> None:
            for token in _raw_tokens(" ".join(plain), self.language):
                for pair in self._compute_word_keys(token.lower(), False):
                    atoms.append(_NEG_ATOM if pair[1] == NEG else self._atom("stem", pair[1]))
            plain.clear()

        for word in text.split():
            if word == "NEG":
                flush()
                atoms.append(_NEG_ATOM)
            elif word.startswith("="):
                flush()
                atoms.append(self._atom("exact", _fold(word[1:].lower()).replace("-", "")))
            elif word.endswith("*"):
                flush()
                atoms.append(self._atom("prefix", _fold(word[:-1].lower()).replace("-", "")))
            else:
                plain.append(word)
        flush()
        if not atoms:
            raise ValueError(f"empty theme pattern alternative {text!r}")
        return tuple(atoms)

    def _compile_patterns(self) -> Iterable[_Pattern]:
        for theme_key, theme in THEMES.items():
            for pattern in theme.keywords.get(self.language, ()):
                pieces = re.split(r"\s*([&>])(\d*)\s*", pattern)
                part_texts, operators, gap_texts = pieces[0::3], pieces[1::3], pieces[2::3]
                parts = [[self._alternative(alt.strip()) for alt in p.split("|")] for p in part_texts]
                by_first: list[dict[int, tuple[tuple[int, ...], ...]]] = []
                for part in parts:
                    grouped: dict[int, list[tuple[int, ...]]] = defaultdict(list)
                    for alternative in part:
                        grouped[alternative[0]].append(alternative)
                    by_first.append(
                        {atom: tuple(sorted(alts, key=len, reverse=True)) for atom, alts in grouped.items()}
                    )
                yield _Pattern(
                    theme=theme_key,
                    parts=tuple(by_first),
                    gaps=tuple(int(g) if g else _DEFAULT_GAP for g in gap_texts),
                    ordered=tuple(op == ">" for op in operators),
                    neg_part=tuple(part == [(_NEG_ATOM,)] for part in parts),
                )

    def hypothetical_tokens(self, doc: _Doc) -> set[int]:
        """Tokens of "would be nice"-like phrases: a wish, not a judgement or a theme."""
        found: set[int] = set()
        folds = doc.folds
        for i, fold in enumerate(folds):
            for phrase in self.hypothetical.get(fold, ()):
                if tuple(folds[i : i + len(phrase)]) == phrase:
                    found.update(range(i, i + len(phrase)))
        return found

    def token_atoms(self, doc: _Doc, hypothetical: set[int]) -> list[frozenset[int]]:
        result: list[frozenset[int]] = []
        for i, (fold, key) in enumerate(zip(doc.folds, doc.keys, strict=True)):
            atoms: set[int] = set()
            if i in hypothetical:
                result.append(frozenset())
                continue
            if key == NEG:
                atoms.add(_NEG_ATOM)
            ident = self.stem_atoms.get(key)
            if ident is not None:
                atoms.add(ident)
            ident = self.exact_atoms.get(fold)
            if ident is not None:
                atoms.add(ident)
            for prefix, ident in self.prefix_atoms.get(fold[:3], ()):
                if fold.startswith(prefix):
                    atoms.add(ident)
            result.append(frozenset(atoms))
        return result


@lru_cache(maxsize=200_000)
def _word_keys(analyser: _Analyser, lower: str, stem_all: bool) -> tuple[tuple[str, str], ...]:
    return analyser._compute_word_keys(lower, stem_all)


@cache
def _analyser(language: str) -> _Analyser:
    return _Analyser(language)


# ---------------------------------------------------------------------------
# Language detection
# ---------------------------------------------------------------------------


_PREFIX_LENGTH = 5
_PREFIX_VOTE = 0.5


@cache
def _language_words() -> dict[str, tuple[tuple[str, float], ...]]:
    """Folded word -> (language, vote) for every word list; a word in k languages gives 1/k to each.

    Also holds, under a leading "^", the first five letters of the lists' words and theme prefixes, worth half
    a vote: an inflected form ("kambaryje", "registracijos") still points to its language.
    """
    languages_of: dict[str, set[str]] = defaultdict(set)
    prefixes_of: dict[str, set[str]] = defaultdict(set)
    for language in DETECTABLE_LANGUAGES:
        lists = _word_lists(language)
        words = lists.stopwords | lists.common | lists.negators | set(lists.intensifiers) | lists.contrast
        words.update(_fold(w) for w in lists.entry_words())
        for w in _theme_words(language):
            w = _fold(w.lstrip("=").lower())
            if not w.endswith("*"):
                words.add(w)
            elif len(w) > _PREFIX_LENGTH:
                prefixes_of[w[:_PREFIX_LENGTH]].add(language)
        for word in words:
            word = word.replace("-", "")
            if len(word) >= 2 or word in ("a", "e", "i", "o", "y", "u", "w", "z", "и", "в", "с", "і", "у", "я"):
                languages_of[word].add(language)
            if len(word) >= _PREFIX_LENGTH + 1:
                prefixes_of[word[:_PREFIX_LENGTH]].add(language)
    votes = {word: tuple((lang, 1.0 / len(langs)) for lang in sorted(langs)) for word, langs in languages_of.items()}
    for prefix, langs in prefixes_of.items():
        votes["^" + prefix] = tuple((lang, _PREFIX_VOTE / len(langs)) for lang in sorted(langs))
    return votes


_DETECT_TOKEN_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")


def _language_scores(text: str) -> tuple[dict[str, float], int]:
    scores: dict[str, float] = defaultdict(float)
    lowered = text.lower()
    words = _language_words()
    count = 0
    for token in _DETECT_TOKEN_RE.findall(lowered):
        count += 1
        fold = _fold(token)
        votes = words.get(fold)
        if votes is None and "'" in fold:
            head, _sep, tail = fold.partition("'")
            for language, weight in _APOSTROPHE_HEADS.get(head, ()):
                scores[language] += weight
            if tail in _APOSTROPHE_TAILS:
                scores["en"] += _APOSTROPHE_TAILS[tail]
            votes = words.get(tail) or words.get(head)
        if votes is None and len(fold) > _PREFIX_LENGTH:
            votes = words.get("^" + fold[:_PREFIX_LENGTH])
        if votes is None and fold.startswith("ne") and len(fold) > 4:
            # Lithuanian negative prefix: "nepatiko", "nenaudingas", "neveikia"
            rest = fold[2:]
            if any(language == "lt" for language, _weight in words.get(rest, ())):
                votes = (("lt", 1.0),)
            elif any(language == "lt" for language, _weight in words.get("^" + rest[:_PREFIX_LENGTH], ())):
                votes = (("lt", _PREFIX_VOTE),)
        if votes is not None:
            for language, weight in votes:
                scores[language] += weight
        elif len(fold) >= 5:
            for length in _ENDING_LENGTHS:
                cues = _ENDING_CUES.get(fold[-length:])
                if cues:
                    for language, weight in cues:
                        scores[language] += weight
                    break
    for char in _NON_ASCII.findall(lowered):
        for language, weight in _LETTER_CUES.get(char, ()):
            scores[language] += weight
    return scores, count


def _normalise_hint(hint: str) -> str:
    code = hint.strip().lower().replace("_", "-").split("-", 1)[0]
    return code if code.isalpha() and 2 <= len(code) <= 3 else ""


def detect_language(text: str, *, hint: str = "") -> str:
    """The ISO 639-1 code of the comment's language, `hint` when unsure, or "" when undecidable."""
    hint = _normalise_hint(hint)
    scores, word_count = _language_scores(text)
    if word_count == 0:
        return ""
    if len(_CYRILLIC.findall(text)) > len(text) / 3:
        return "uk" if scores.get("uk", 0.0) > scores.get("ru", 0.0) else "ru"
    ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    best, best_score = ranked[0] if ranked else ("", 0.0)
    second_score = ranked[1][1] if len(ranked) > 1 else 0.0
    if best_score >= _CONFIDENT_SCORE and best_score >= _CONFIDENT_RATIO * second_score:
        return best
    if hint and scores.get(hint, 0.0) >= best_score / 2:
        return hint
    if best_score >= _WEAK_SCORE and best_score >= 2 * second_score:
        return best
    return hint if best_score == 0 else ""


# ---------------------------------------------------------------------------
# Sentiment, themes, ideas
# ---------------------------------------------------------------------------


def _sentiment(analyser: _Analyser, doc: _Doc, text: str, hypothetical: set[int], tone: float = 0.0) -> float:
    keys, folds = doc.keys, doc.folds
    n = len(keys)
    scores: list[_Score | None] = [None] * n
    consumed = [i in hypothetical for i in range(n)]
    for i in range(n):
        if consumed[i]:
            continue
        key = keys[i]
        for phrase, score in analyser.phrase_scores.get(key, ()):
            end = i + len(phrase)
            if end <= n and tuple(keys[i:end]) == phrase and doc.sentence[end - 1] == doc.sentence[i]:
                scores[i] = score
                for j in range(i + 1, end):
                    consumed[j] = True
                break
        else:
            if key != NEG:
                scores[i] = analyser.exact_scores.get(folds[i]) or analyser.key_scores.get(key)
    contrast_at: dict[int, int] = {}
    for i in range(n):
        if folds[i] in analyser.contrast and doc.sentence[i] not in contrast_at:
            contrast_at[doc.sentence[i]] = i
    total = 0.0
    for i in range(n):
        entry = scores[i]
        if entry is None:
            continue
        clause = doc.clause[i]
        if (
            folds[i] in analyser.intensifiers
            and i + 1 < n
            and scores[i + 1] is not None
            and doc.clause[i + 1] == clause
        ):
            continue  # "super slow": "super" only intensifies
        factor = 1.0
        for j in (i - 1, i - 2):
            if j >= 0 and doc.clause[j] == clause and not consumed[j]:
                intensity = analyser.intensifiers.get(folds[j])
                if intensity is not None:
                    factor *= intensity
                elif keys[j] != NEG:
                    break
        value = entry.negated if _negator_before(doc, i) else entry.value
        if doc.caps[i]:
            factor *= _CAPS_FACTOR
        if analyser.language == "es" and _is_superlative(folds[i]):
            factor *= _SUPERLATIVE_FACTOR
        contrast = contrast_at.get(doc.sentence[i])
        if contrast is not None:
            factor *= 0.5 if i < contrast else 1.5
        total += value * factor
    total += doc.emoticon_score + tone
    if total:
        total += math.copysign(_EXCLAMATION_BOOST * min(text.count("!"), 4), total)
    return _normalise(total)


def _normalise(total: float) -> float:
    """A sum of word scores as s/√(s²+α), in −1…1."""
    return max(-1.0, min(1.0, total / math.sqrt(total * total + _NORMALISATION_ALPHA)))


def _themes(analyser: _Analyser, doc: _Doc, hypothetical: set[int]) -> tuple[str, ...]:
    atoms = analyser.token_atoms(doc, hypothetical)
    # The parts of one match stay within a sentence and on one side of a "but".
    segment = 0
    segments: list[int] = []
    for index, fold in enumerate(doc.folds):
        if fold in analyser.contrast or (index and doc.sentence[index] != doc.sentence[index - 1]):
            segment += 1
        segments.append(segment)
    positions: dict[int, list[int]] = defaultdict(list)
    for index, token_atoms in enumerate(atoms):
        for atom in token_atoms:
            positions[atom].append(index)
    if not positions:
        return ()
    startable = {pair for atom in positions for pair in analyser.pattern_index.get(atom, ())}
    parts_startable = Counter(pattern_number for pattern_number, _part in startable)
    found: set[str] = set()
    for pattern_number in sorted(parts_startable):
        pattern = analyser.patterns[pattern_number]
        if parts_startable[pattern_number] < len(pattern.parts):
            continue
        theme = THEMES[pattern.theme]
        if pattern.theme in found and (not theme.polar or not theme.opposite or theme.opposite in found):
            continue  # nothing more this pattern could add
        for negated in _pattern_matches(pattern, doc, atoms, positions, segments):
            if not negated or not theme.polar:
                found.add(pattern.theme)
            elif theme.opposite:
                found.add(theme.opposite)
    return tuple(sorted(found))


def _spans(
    part: dict[int, tuple[tuple[int, ...], ...]],
    doc: _Doc,
    atoms: Sequence[frozenset[int]],
    positions: Mapping[int, list[int]],
) -> list[tuple[int, int]]:
    """(start, end) of each place one of the part's alternatives matches, longest alternative first."""
    ends: dict[int, int] = {}
    n = len(atoms)
    for first in part.keys() & positions.keys():
        alternatives = part[first]
        for start in positions[first]:
            for alternative in alternatives:
                end = start + len(alternative)
                if end > n or end <= ends.get(start, start) or doc.sentence[end - 1] != doc.sentence[start]:
                    continue
                if all(alternative[k] in atoms[start + k] for k in range(1, len(alternative))):
                    ends[start] = end
                    break
    return sorted(ends.items())


def _pattern_matches(
    pattern: _Pattern,
    doc: _Doc,
    atoms: Sequence[frozenset[int]],
    positions: Mapping[int, list[int]],
    segments: Sequence[int],
) -> Iterable[bool]:
    """Yield, for each place the pattern matches, whether the match is negated."""
    part_spans = [_spans(part, doc, atoms, positions) for part in pattern.parts]
    if not all(part_spans):
        return
    anchor_index = next((k for k, is_neg in enumerate(pattern.neg_part) if not is_neg), 0)
    for anchor in part_spans[anchor_index]:
        chosen: list[tuple[int, int]] = []
        for k, spans in enumerate(part_spans):
            if k == anchor_index:
                chosen.append(anchor)
                continue
            link = k - 1 if k > anchor_index else anchor_index - 1  # the operator between this part and the anchor
            gap = _NEG_PART_GAP if pattern.neg_part[k] else pattern.gaps[link]
            order = (k > anchor_index) if pattern.ordered[link] else None
            match = _near(spans, anchor, gap, doc, segments, negator=pattern.neg_part[k], after=order)
            if match is None:
                break
            chosen.append(match)
        else:
            yield _negated(chosen, doc)


def _near(
    spans: list[tuple[int, int]],
    anchor: tuple[int, int],
    gap: int,
    doc: _Doc,
    segments: Sequence[int],
    *,
    negator: bool,
    after: bool | None,
) -> tuple[int, int] | None:
    """A span within `gap` tokens of the anchor; `after`: it must follow (True) or precede (False) the anchor."""
    for start, end in spans:
        if segments[start] != segments[anchor[0]] or segments[end - 1] != segments[anchor[0]]:
            continue
        before_anchor = end <= anchor[0] and anchor[0] - end <= gap
        after_anchor = start >= anchor[1] and start - anchor[1] <= gap
        if negator:
            # a negator comes before what it negates, in the same clause
            if before_anchor and doc.clause[start] == doc.clause[anchor[0]]:
                return start, end
        elif (before_anchor and after is not True) or (after_anchor and after is not False):
            return start, end
    return None


def _negator_before(doc: _Doc, index: int, ignored: Collection[int] = ()) -> bool:
    """A negator up to _NEGATION_WINDOW tokens before `index`, in its clause (`ignored` tokens do not count)."""
    clause = doc.clause[index]
    return any(
        doc.keys[j] == NEG and doc.clause[j] == clause and j not in ignored
        for j in range(max(0, index - _NEGATION_WINDOW), index)
    )


def _negated(chosen: list[tuple[int, int]], doc: _Doc) -> bool:
    inside = {i for start, end in chosen for i in range(start, end)}
    if any(doc.keys[i] == NEG for i in inside):
        return False  # the pattern names the negation itself ("no reply"): never flipped
    return any(_negator_before(doc, start, inside) for start, _end in chosen)


@cache
def _idea_re(language: str) -> re.Pattern[str]:
    """The idea patterns of `language`, or of every language that has some when it has none."""
    ideas = _IDEA_PATTERNS.get(language) or tuple(p for ps in _IDEA_PATTERNS.values() for p in ps)
    return re.compile("|".join(f"(?:{p})" for p in ideas))


def _is_idea(text: str, language: str) -> bool:
    folded = " ".join(_fold(text.lower()).split())
    return _idea_re(language).search(folded) is not None


def _label(sentiment: float) -> str:
    if sentiment >= POSITIVE_THRESHOLD:
        return "positive"
    if sentiment <= NEGATIVE_THRESHOLD:
        return "negative"
    return "neutral"


def analyse(text: str, *, hint: str = "") -> Analysis:
    """Language, sentiment, themes and whether the comment is an idea. `hint`: the contact's language."""
    language = detect_language(text, hint=hint)
    if language in LEXICON_LANGUAGES:
        analyser = _analyser(language)
        doc = _tokenise(text, language)
        hypothetical = analyser.hypothetical_tokens(doc)
        themes = _themes(analyser, doc, hypothetical)
        is_idea = _is_idea(text, language)
        # A complaint told in facts ("we waited an hour at reception") has no opinion word, but its theme has a
        # tone. In an idea the themes say what is suggested, not what was judged.
        tone = 0.0 if is_idea else float(sum(THEMES[key].tone for key in themes))
        sentiment = round(_sentiment(analyser, doc, text, hypothetical, tone), 3)
        return Analysis(
            language=language,
            sentiment=sentiment,
            sentiment_label=_label(sentiment),
            themes=themes,
            is_idea=is_idea,
        )
    # No lexicon for this language: only emoticons speak, and ideas are looked for in every language we know.
    sentiment = round(_normalise(_tokenise(text, "").emoticon_score), 3)
    is_idea = _is_idea(text, language)
    return Analysis(language, sentiment, _label(sentiment), (), is_idea)


# ---------------------------------------------------------------------------
# Recurring phrases
# ---------------------------------------------------------------------------


def _content_runs(text: str, language: str) -> list[list[tuple[str, str]]]:
    """Runs of (key, surface) content words, split at punctuation, stop words and negators."""
    doc = _tokenise(text, language, stem_all=True)
    stopwords: Collection[str] = ()
    skipped: Collection[str] = ()
    if language in DETECTABLE_LANGUAGES:
        lists = _word_lists(language)
        stopwords, skipped = lists.stopwords | lists.contrast, lists.intensifiers
    runs: list[list[tuple[str, str]]] = []
    run: list[tuple[str, str]] = []
    last_clause = -1
    for fold, key, surface, clause in zip(doc.folds, doc.keys, doc.surfaces, doc.clause, strict=True):
        if fold in skipped:
            continue  # "very slow check-in" -> "slow check-in"
        breaks_run = key == NEG or fold in stopwords or len(fold) < 2
        if breaks_run or clause != last_clause:
            if run:
                runs.append(run)
            run = []
            last_clause = clause
        if not breaks_run:
            run.append((key, surface))
    if run:
        runs.append(run)
    return runs


def recurring_phrases(
    texts: Iterable[str], *, language: str, limit: int = 10, min_count: int = 2
) -> list[tuple[str, int]]:
    """The most frequent 1–3-word key phrases across comments in `language`, as (surface form, comments).

    Phrases are grouped by their stems, so inflections count together; each is shown in its most common
    written form. A count is the number of comments containing the phrase.
    """
    counts: Counter[tuple[str, ...]] = Counter()
    surfaces: dict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
    opinion_keys: set[str] = set()
    opinion_words: set[str] = set()
    if language in LEXICON_LANGUAGES:
        analyser = _analyser(language)
        opinion_keys, opinion_words = set(analyser.key_scores), set(analyser.exact_scores)
    for text in texts:
        seen: set[tuple[str, ...]] = set()
        for run in _content_runs(text, language):
            for size in (1, 2, 3):
                for start in range(len(run) - size + 1):
                    gram = run[start : start + size]
                    key = tuple(k for k, _s in gram)
                    if size == 1 and (key[0] in opinion_keys or _fold(gram[0][1]) in opinion_words):
                        continue  # a lone "great" or "lento" is an opinion, not a theme
                    if key in seen:
                        continue
                    seen.add(key)
                    counts[key] += 1
                    surfaces[key][" ".join(s for _k, s in gram)] += 1
    candidates = sorted(
        ((key, count) for key, count in counts.items() if count >= min_count),
        key=lambda item: (-item[1], -len(item[0]), surfaces[item[0]].most_common(1)[0][0]),
    )
    picked: list[tuple[tuple[str, ...], int]] = []
    for key, count in candidates:
        if any(count == picked_count and _contains(bigger, key) for bigger, picked_count in picked):
            continue  # "check-in" when "slow check-in" has the same count says nothing more
        picked.append((key, count))
        if len(picked) == limit:
            break
    return [(surfaces[key].most_common(1)[0][0], count) for key, count in picked]


def _contains(bigger: tuple[str, ...], smaller: tuple[str, ...]) -> bool:
    size = len(smaller)
    return len(bigger) > size and any(bigger[i : i + size] == smaller for i in range(len(bigger) - size + 1))
