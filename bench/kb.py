"""`python -m bench.kb`: knowledge-base search and the help centre's article page at 10,000 articles × 3 languages.

    python -m bench.kb [--db sqlite|postgres|both] [--articles 10000] [--queries 200] [--requests 200]

(--db defaults to both when PostgreSQL answers at BENCH_POSTGRES_URL, else sqlite.)

Prints figures and asserts nothing (see bench/README.md, "Knowledge base"): the time to index
every translation (`kb.search.reindex_all`), then, after ANALYZE, p50 and p95 of 200 mixed
searches in-process (`kb.search.search`, hits and snippets included), of the help centre's
search page and of its article page (Django's test Client, in-process, anonymous).
"""

import argparse
import bisect
import contextlib
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from itertools import accumulate
from pathlib import Path
from typing import Any

from bench.measure import (
    add_database_option,
    analyze,
    child_env,
    chosen_databases,
    database_mb,
    log,
    percentiles,
    postgres_url,
    run_child,
    save_results,
)

POSTGRES_DATABASE = "bench_kb"
LOCALES = ("en", "es", "lt")
TARGET_SEARCH_MS, TARGET_PAGE_MS = 20.0, 15.0  # p95, from the issue
WARMUP = 20


# --- parent ------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.kb", description=__doc__.split("\n")[0])
    add_database_option(parser)
    parser.add_argument("--articles", type=int, default=10_000, help="articles, each in en, es and lt (default 10,000)")
    parser.add_argument("--queries", type=int, default=200, help="measured searches per figure (default 200)")
    parser.add_argument("--requests", type=int, default=200, help="measured article pages (default 200)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args)

    runs = []
    for db in chosen_databases(args.db):
        print(f"\n== knowledge base: {db}, {args.articles:,} articles × {len(LOCALES)} languages ==", flush=True)
        runs.append(run_database(db, args))
    for run in runs:
        print_report(run)
    save_results("kb", {"args": vars(args), "runs": runs})
    return 0


def run_database(db: str, args: argparse.Namespace) -> dict[str, Any]:
    """A fresh, migrated database (a temporary data folder; on PostgreSQL the database bench_kb,
    dropped and created again), measured by a child process with production's settings."""
    from bench.__main__ import _postgres_database

    work = Path(tempfile.mkdtemp(prefix="bench-kb-"))
    env = child_env(FRONTDESK_DATA=str(work))
    if db == "postgres":
        _postgres_database(POSTGRES_DATABASE, fresh=True)
        env["DATABASE_URL"] = postgres_url(POSTGRES_DATABASE)
    command = [sys.executable, "-m", "bench.kb", "--child", "--articles", str(args.articles)]
    command += ["--queries", str(args.queries), "--requests", str(args.requests), "--seed", str(args.seed)]
    try:
        measured = run_child(command, env, "knowledge-base measurement")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    measured["database"] = db
    measured["load_average"] = os.getloadavg()
    return measured


def print_report(run: dict[str, Any]) -> None:
    data = run["dataset"]
    print(
        f"\nKnowledge base on {run['database']} (bench/README.md, 'Knowledge base'; targets from the issue): "
        f"{data['articles']:,} articles, {data['translations']:,} translations ({data['published']:,} published), "
        f"{data['words']:,} words of text; database {data['database_mb']:,} MB; load average "
        f"{run['load_average'][0]:.1f}"
    )
    index = run["index"]
    print(
        f"  indexing (reindex_all): {index['seconds']:.1f} s, {index['per_translation_ms']:.2f} ms a translation; "
        f"{index['terms']:,} terms, {index['words']:,} words, {index['postings']:,} postings"
    )
    for figure in run["figures"]:
        if figure.get("not_measured"):
            print(f"  {figure['label']}: not measured: {figure['not_measured']}")
            continue
        target = figure.get("target")
        verdict = f" (target < {target:.0f} ms: {'ok' if figure['p95'] < target else 'MISSED'})" if target else ""
        print(
            f"  {figure['label']}: p50 {figure['p50']:.2f} ms, p95 {figure['p95']:.2f} ms, max {figure['max']:.2f} ms "
            f"over {figure['samples']}{verdict}"
        )
        if figure.get("note"):
            print(f"    {figure['note']}")
    print(f"  slowest searches: {run['slowest']}")


# --- child: data set, indexing, measurements ----------------------------------------------------


def child(args: argparse.Namespace) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "frontdesk.settings")
    import django

    django.setup()
    import logging

    from django.core.management import call_command

    # One log line per request would flood this child's output, which the parent reads.
    logging.getLogger("frontdesk.request").setLevel(logging.WARNING)

    call_command("migrate", interactive=False, verbosity=0)
    rng = random.Random(args.seed)
    vocabularies = {locale: Vocabulary(locale, rng) for locale in LOCALES}
    log(f"Writing {args.articles:,} articles × {len(LOCALES)} languages …")
    dataset = build(args.articles, vocabularies, rng)
    log(f"  written in {dataset['seconds']:.0f} s; indexing …")
    index = measure_indexing(dataset["translations"])
    log(f"  indexed in {index['seconds']:.0f} s")
    analyze()
    dataset["database_mb"] = database_mb()
    queries = make_queries(vocabularies, rng, WARMUP + args.queries)
    figures = [
        measure_search(queries, "search, signed-in customer (in-process)", customer=True),
        measure_search(queries, "search, agent: every visibility and status (in-process)", customer=False),
        measure_search_page(queries),
        measure_article_page(rng, args.requests),
    ]
    slowest = figures[0].pop("slowest")
    figures[1].pop("slowest")
    print(json.dumps({"dataset": dataset, "index": index, "figures": figures, "slowest": slowest}))
    return 0


# Word lists: real help-centre words first (the most frequent), then made-up lemmas from each
# language's syllables; a word is written with one of its language's endings, so the stemmer has
# inflections to join. Frequencies follow Zipf's law over lemmas.
REAL = {
    "en": (
        "booking reservation arrival departure room apartment key parking garage breakfast refund payment card "
        "invoice receipt cancellation guest host reception towel sheet cleaning heating window door lock code "
        "wifi password network router television kitchen oven fridge dishwasher coffee laundry balcony terrace "
        "pool sauna elevator stair luggage storage airport transfer taxi train station ticket map city beach "
        "restaurant shop pharmacy doctor emergency noise neighbour pet dog child cot bed sofa pillow blanket "
        "shower bathroom toilet water electricity light socket adapter charger deposit damage fee tax price "
        "discount voucher account profile email phone message review complaint request extension night week "
        "date floor building entrance gate intercom mailbox rubbish recycling linen iron hairdryer safe alarm "
        "insurance policy rule check checkout platform airbnb invoice identity passport document registration"
    ),
    "es": (
        "reserva llegada salida habitación apartamento llave aparcamiento garaje desayuno reembolso pago tarjeta "
        "factura recibo cancelación huésped anfitrión recepción toalla sábana limpieza calefacción ventana puerta "
        "cerradura código wifi contraseña red televisión cocina horno nevera lavavajillas café lavadora balcón "
        "terraza piscina sauna ascensor escalera equipaje consigna aeropuerto traslado taxi tren estación billete "
        "mapa ciudad playa restaurante tienda farmacia médico emergencia ruido vecino mascota perro niño cuna cama "
        "sofá almohada manta ducha baño agua electricidad luz enchufe adaptador cargador fianza daño tasa precio "
        "descuento bono cuenta perfil correo teléfono mensaje reseña queja solicitud noche semana fecha planta "
        "edificio entrada portal buzón basura reciclaje plancha secador caja alarma seguro política norma "
        "plataforma identidad pasaporte documento registro"
    ),
    "lt": (
        "rezervacija atvykimas išvykimas kambarys butas raktas automobilis garažas pusryčiai grąžinimas mokėjimas "
        "kortelė sąskaita kvitas atšaukimas svečias šeimininkas registratūra rankšluostis paklodė valymas šildymas "
        "langas durys spyna kodas wifi slaptažodis tinklas maršrutizatorius televizorius virtuvė orkaitė šaldytuvas "
        "indaplovė kava skalbyklė balkonas terasa baseinas pirtis liftas laiptai bagažas saugykla oro uostas "
        "pervežimas taksi traukinys stotis bilietas žemėlapis miestas paplūdimys restoranas parduotuvė vaistinė "
        "gydytojas triukšmas kaimynas gyvūnas šuo vaikas lovelė lova sofa pagalvė antklodė dušas vonia tualetas "
        "vanduo elektra šviesa lizdas adapteris įkroviklis užstatas žala mokestis kaina nuolaida kuponas paskyra "
        "profilis paštas telefonas žinutė atsiliepimas skundas prašymas naktis savaitė data aukštas pastatas "
        "įėjimas vartai domofonas pašto dėžutė šiukšlės lygintuvas džiovintuvas seifas signalizacija draudimas "
        "taisyklė platforma tapatybė pasas dokumentas registracija"
    ),
}
FUNCTION_WORDS = {
    "en": "the a to and of in is for you your on with at it be are this can if we please when our",
    "es": "el la de que y en los se las por un para con una su al es lo como más si le del nuestro",
    "lt": "ir į iš su kad yra ar per prie nuo po už jei tai bet kaip jūsų mes jūs savo prašome kai",
}
SYLLABLES = {
    "en": "ba ter lo mi ron sta ple dor ket vin gal sha tri mar pen cor fla wes bry dal",
    "es": "ca mi la re to sa ven ga lu pe ri no bo que tra dor gue ña cia jo",
    "lt": "ka ru gi lė to šo vy ma dū pa ri žu kel sta nio čia bu rai gė tu",
}
ENDINGS = {
    "en": ["", "", "", "s", "s", "ing", "ed", "er", "ation", "ment"],
    "es": ["o", "a", "os", "as", "ar", "ado", "ción", "ciones", "e", "es", "idad"],
    "lt": ["as", "ai", "o", "ui", "ą", "u", "e", "ų", "ams", "uose", "is", "ys", "ės", "ė"],
}


class Vocabulary:
    def __init__(self, locale: str, rng: random.Random, size: int = 15_000) -> None:
        self.locale = locale
        self.real = REAL[locale].split()
        syllables = SYLLABLES[locale].split()
        made_up: set[str] = set()
        while len(made_up) < size:
            made_up.add("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))))
        self.lemmas = self.real + sorted(made_up - set(self.real))
        self.function_words = FUNCTION_WORDS[locale].split()
        self._cumulative = list(accumulate(1.0 / (rank + 5) for rank in range(len(self.lemmas))))

    def word(self, rng: random.Random, *, top: int | None = None) -> str:
        """A content word: a lemma drawn by frequency (among the `top` most frequent), inflected."""
        limit = min(top or len(self.lemmas), len(self.lemmas))
        lemma = self.lemmas[min(bisect.bisect(self._cumulative, rng.random() * self._cumulative[limit - 1]), limit - 1)]
        if lemma in self.real and rng.random() < 0.6:
            return lemma
        return lemma + rng.choice(ENDINGS[self.locale])

    def sentence(self, rng: random.Random) -> str:
        words = [
            rng.choice(self.function_words) if rng.random() < 0.4 else self.word(rng) for _ in range(rng.randint(8, 16))
        ]
        return " ".join(words).capitalize() + "."


def build(articles: int, vocabularies: dict[str, "Vocabulary"], rng: random.Random) -> dict[str, Any]:
    """Categories, sections, articles and their three translations, written with bulk_create."""
    from django.db import transaction
    from django.utils import timezone

    from frontdesk.kb.models import Article, ArticleStatus, Category, Section, Translation, Visibility

    started = time.perf_counter()
    now = timezone.now()
    words = published = 0
    with transaction.atomic():
        categories = Category.objects.bulk_create(
            [Category(slug=f"category-{n}", names=dict.fromkeys(LOCALES, f"Category {n}")) for n in range(10)]
        )
        sections = Section.objects.bulk_create(
            [
                Section(category=category, slug=f"section-{c}-{n}", names=dict.fromkeys(LOCALES, f"Section {n}"))
                for c, category in enumerate(categories)
                for n in range(5)
            ]
        )
        for start in range(0, articles, 1000):
            batch = [
                Article(
                    section=rng.choice(sections),
                    visibility=rng.choices(
                        [Visibility.PUBLIC, Visibility.CUSTOMERS, Visibility.INTERNAL], weights=[80, 15, 5]
                    )[0],
                    source_locale=rng.choice(LOCALES),
                    created_at=now,
                )
                for _ in range(start, min(start + 1000, articles))
            ]
            Article.objects.bulk_create(batch)
            translations = []
            for article in batch:
                for locale in LOCALES:
                    vocabulary = vocabularies[locale]
                    title = " ".join(vocabulary.word(rng, top=2000) for _ in range(rng.randint(3, 7))).capitalize()
                    paragraphs = []
                    target = rng.randint(200, 600)
                    count = 0
                    while count < target:
                        paragraph = " ".join(vocabulary.sentence(rng) for _ in range(rng.randint(2, 5)))
                        paragraphs.append(paragraph)
                        count += len(paragraph.split())
                    words += count
                    status = rng.choices(
                        [ArticleStatus.PUBLISHED, ArticleStatus.DRAFT, ArticleStatus.REVIEW], weights=[92, 5, 3]
                    )[0]
                    published += status == ArticleStatus.PUBLISHED
                    translations.append(
                        Translation(
                            article=article,
                            locale=locale,
                            title=title[:200],
                            slug=f"article-{article.pk}-{locale}",
                            body="\n\n".join(paragraphs),
                            html="".join(f"<p>{paragraph}</p>\n" for paragraph in paragraphs),
                            text="\n\n".join(paragraphs),
                            status=status,
                            published_at=now if status == ArticleStatus.PUBLISHED else None,
                            updated_at=now,
                        )
                    )
            Translation.objects.bulk_create(translations)
    return {
        "articles": articles,
        "translations": articles * len(LOCALES),
        "published": published,
        "words": words,
        "seconds": round(time.perf_counter() - started, 1),
    }


def measure_indexing(translations: int) -> dict[str, Any]:
    from frontdesk.kb import search
    from frontdesk.kb.models import SearchPosting, SearchTerm, SearchWord

    started = time.perf_counter()
    indexed = search.reindex_all()
    seconds = time.perf_counter() - started
    return {
        "seconds": round(seconds, 1),
        "translations": indexed,
        "per_translation_ms": round(seconds * 1000 / max(indexed, 1), 2),
        "terms": SearchTerm.objects.count(),
        "words": SearchWord.objects.count(),
        "postings": SearchPosting.objects.count(),
    }


def make_queries(vocabularies: dict[str, "Vocabulary"], rng: random.Random, count: int) -> list[dict[str, Any]]:
    """1–4 words in the reader's language; a fifth with a typo in one word, a sixth with a word of
    another language (which finds articles whose reader-language translation is not published)."""
    from frontdesk.kb.search import edits

    queries = []
    for _ in range(count):
        locale = rng.choice(LOCALES)
        words = [
            vocabularies[locale].word(rng, top=5000) for _ in range(rng.choices([1, 2, 3, 4], [35, 35, 20, 10])[0])
        ]
        kind = rng.choices(["plain", "typo", "other language"], weights=[65, 20, 15])[0]
        if kind == "typo":
            candidates = [n for n, word in enumerate(words) if len(word) >= 5]
            if candidates:
                n = rng.choice(candidates)
                words[n] = rng.choice(sorted(edits(words[n])))
            else:
                kind = "plain"
        elif kind == "other language":
            other = rng.choice([code for code in LOCALES if code != locale])
            words[rng.randrange(len(words))] = vocabularies[other].word(rng, top=3000)
        queries.append({"locale": locale, "query": " ".join(words), "kind": kind})
    return queries


def measure_search(queries: list[dict[str, Any]], label: str, *, customer: bool) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from frontdesk.kb import search
    from frontdesk.kb.models import Visibility

    visibilities = [Visibility.PUBLIC, Visibility.CUSTOMERS] + ([] if customer else [Visibility.INTERNAL])
    timings, rows = [], []
    cpu_started = _cpu_ms()
    for n, query in enumerate(queries):
        if n == WARMUP:
            cpu_started = _cpu_ms()
        started = time.perf_counter()
        result = search.search(
            query=query["query"], locale=query["locale"], visibilities=visibilities, published_only=customer
        )
        elapsed = (time.perf_counter() - started) * 1000
        if n >= WARMUP:
            timings.append(elapsed)
            rows.append((elapsed, query, result))
    own, server = (round((end - start) / len(timings), 2) for start, end in zip(cpu_started, _cpu_ms(), strict=True))
    with CaptureQueriesContext(connection) as captured:
        search.search(query=queries[0]["query"], locale=queries[0]["locale"], visibilities=visibilities)
    p50, p95 = percentiles(timings)
    results = [result for _, _, result in rows]
    by_kind = {
        kind: round(statistics.median(t for t, q, _ in rows if q["kind"] == kind), 2)
        for kind in ("plain", "typo", "other language")
        if any(q["kind"] == kind for _, q, _ in rows)
    }
    note = (
        f"median hits {statistics.median(r.total for r in results):.0f}; "
        f"{sum(1 for r in results if r.total == 0)} with none; "
        f"{sum(1 for r in results if r.corrections)} corrected; "
        f"{sum(1 for r in results if any(h.other_language for h in r.hits))} with other-language hits; "
        f"median by kind (ms): {by_kind}; {len(captured)} SQL statements a search; CPU a search (mean): "
        f"{own} ms in this process" + (f" + {server} ms in PostgreSQL's" if connection.vendor == "postgresql" else "")
    )
    slowest = [
        {"ms": round(t, 1), "query": q["query"], "locale": q["locale"], "total": r.total}
        for t, q, r in sorted(rows, key=lambda row: -row[0])[:5]
    ]
    return {
        "label": label,
        "p50": p50,
        "p95": p95,
        "max": round(max(timings), 2),
        "samples": len(timings),
        "target": TARGET_SEARCH_MS,
        "note": note,
        "slowest": slowest,
    }


def _cpu_ms() -> tuple[float, float]:
    """CPU milliseconds used so far by this process and by the connection's PostgreSQL backend (from
    /proc; 0 on SQLite or where it cannot be read): unlike wall-clock times, they do not grow with
    the other work on the machine."""
    from django.db import connection

    server = 0.0
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        pid = connection.connection.info.backend_pid
        with contextlib.suppress(OSError, ValueError, IndexError):
            server = int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e6
    return time.process_time() * 1000, server


def measure_search_page(queries: list[dict[str, Any]]) -> dict[str, Any]:
    """GET /help/<locale>/search/?q=… with Django's test Client, anonymous (the search is logged)."""
    from urllib.parse import urlencode

    from django.urls import NoReverseMatch, reverse

    label = "help centre search page, anonymous (test Client)"
    try:
        paths = [
            reverse("portal:help_search", args=[q["locale"]]) + "?" + urlencode({"q": q["query"]}) for q in queries
        ]
    except NoReverseMatch as exc:
        return {"label": label, "not_measured": f"no help-centre search page ({exc})"}
    return _client_figure(label, paths, target=None)


def measure_article_page(rng: random.Random, requests: int) -> dict[str, Any]:
    """GET /help/<locale>/articles/<id>-<slug>/ of random public, published translations."""
    from django.urls import NoReverseMatch, reverse

    from frontdesk.kb.models import ArticleStatus, Translation, Visibility

    label = "help centre article page, anonymous (test Client)"
    shown = list(
        Translation.objects.filter(status=ArticleStatus.PUBLISHED, article__visibility=Visibility.PUBLIC).values_list(
            "locale", "article_id", "slug"
        )
    )
    picked = rng.sample(shown, min(len(shown), WARMUP + requests))
    try:
        paths = [reverse("portal:help_article", args=[locale, article, slug]) for locale, article, slug in picked]
    except NoReverseMatch as exc:
        return {"label": label, "not_measured": f"no help-centre article page ({exc})"}
    return _client_figure(label, paths, target=TARGET_PAGE_MS)


def _client_figure(label: str, paths: list[str], *, target: float | None) -> dict[str, Any]:
    from django.test import Client

    client = Client()
    timings = []
    for n, path in enumerate(paths):
        started = time.perf_counter()
        response = client.get(path)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            return {"label": label, "not_measured": f"GET {path} answered {response.status_code}"}
        if n >= WARMUP:
            timings.append(elapsed)
    p50, p95 = percentiles(timings)
    figure = {"label": label, "p50": p50, "p95": p95, "max": round(max(timings), 2), "samples": len(timings)}
    if target:
        figure["target"] = target
    return figure


if __name__ == "__main__":
    sys.exit(main())
