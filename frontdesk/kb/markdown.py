"""Markdown of articles and release notes, rendered to sanitised HTML and plain text.

CommonMark with tables and strike-through. Raw HTML in the source is allowed but goes through
the sanitiser (nh3) with everything else: no scripts, no event handlers, no `javascript:` URLs.
Headings get ids (for links to a part of an article).

A link alone on its line becomes a player when it names a video:
- YouTube → an iframe from youtube-nocookie.com (no cookies until the reader plays it),
- Vimeo → an iframe from player.vimeo.com with `dnt=1`,
- an uploaded MP4/WebM (an article file, or a path under /help/files/) → `<video controls>`.
The players are built here from the parsed video id, after sanitising (the sanitiser allows no
iframe), and put where a random marker stood, so an author cannot smuggle an iframe of their own.

Article files are named in the Markdown by their name or their URL (`![Screen](screen.png)`);
`files` maps those names to the rows, and links to them are rewritten to the file's URL in the
help centre (`/help/files/<id>/<name>`), which serves it to those who may read its article.
"""

import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from html import escape
from html.parser import HTMLParser
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

import nh3
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from markdown_it import MarkdownIt
from markdown_it.token import Token

if TYPE_CHECKING:
    from frontdesk.kb.models import ArticleFile


@dataclass(frozen=True)
class Rendered:
    html: str
    text: str


TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "caption",
    "code",
    "dd",
    "del",
    "details",
    "div",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "kbd",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "s",
    "span",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
}
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href", "title", "hreflang"},
    "img": {"src", "alt", "title", "width", "height"},
    "abbr": {"title"},
    "ol": {"start"},
    "td": {"colspan", "rowspan", "style"},
    "th": {"colspan", "rowspan", "style"},
    **{tag: {"id"} for tag in _HEADINGS},
}
URL_SCHEMES = {"http", "https", "mailto", "tel"}
VIDEO_TYPES = frozenset({"video/mp4", "video/webm"})
FILES_PATH = "/help/files/"

_md = MarkdownIt("commonmark", {"html": True, "typographer": False}).enable(["table", "strikethrough"])
_BARE_URL = re.compile(r"^https?://\S+$")
_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
_VIMEO_ID = re.compile(r"^[0-9]{3,12}$")
_VIMEO_HASH = re.compile(r"^[0-9a-f]{6,20}$")
_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s?)?$")


def render(markdown: str, *, files: Mapping[str, "ArticleFile"] | None = None) -> Rendered:
    """Sanitised HTML and plain text of `markdown`; see the module's docstring."""
    files = files or {}
    env: dict[str, object] = {"files": files, "embeds": [], "nonce": secrets.token_hex(8)}
    tokens = _md.parse(markdown or "", env)
    _resolve_files(tokens, files)
    tokens = _split_embeds(tokens, env)
    _heading_ids(tokens)
    raw = _md.renderer.render(tokens, _md.options, env)
    clean = nh3.clean(
        raw,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        filter_style_properties={"text-align"},
        set_tag_attribute_values={"img": {"loading": "lazy"}},
    )
    embeds = env["embeds"]
    assert isinstance(embeds, list)
    text = clean
    for number, embed in enumerate(embeds):
        text = text.replace(_marker(env, number), "", 1)
        clean = clean.replace(_marker(env, number), embed, 1)
    return Rendered(html=clean, text=_plain_text(text))


def file_url(file: "ArticleFile") -> str:
    """Where the help centre serves an article's file (checking who may read the article)."""
    return f"{FILES_PATH}{file.pk}/{quote(file.name)}"


def article_url(locale: str, article_id: int, slug: str) -> str:
    """The article's page in the help centre, in `locale` (percent-encoded)."""
    if not slug:
        return reverse("portal:help_article_bare", args=[locale, article_id])
    return reverse("portal:help_article", args=[locale, article_id, slug])


def file_names(files: Iterable["ArticleFile"]) -> dict[str, "ArticleFile"]:
    """What the Markdown may call each file: its name and its URL."""
    names: dict[str, ArticleFile] = {}
    for file in files:
        names[file.name] = file
        names[file_url(file)] = file
    return names


# --- files ----------------------------------------------------------------------------------


def _lookup(url: str, files: Mapping[str, "ArticleFile"]) -> "ArticleFile | None":
    return files.get(url) or files.get(unquote(url))


def _resolve_files(tokens: list[Token], files: Mapping[str, "ArticleFile"]) -> None:
    if not files:
        return
    for token in _inline_children(tokens):
        attribute = "href" if token.type == "link_open" else "src" if token.type == "image" else ""
        if not attribute:
            continue
        found = _lookup(str(token.attrGet(attribute) or ""), files)
        if found is not None:
            token.attrSet(attribute, file_url(found))


def _inline_children(tokens: list[Token]) -> Iterable[Token]:
    for token in tokens:
        if token.type == "inline" and token.children:
            yield from token.children


# --- headings ---------------------------------------------------------------------------------


def _heading_ids(tokens: list[Token]) -> None:
    seen: dict[str, int] = {}
    for position, token in enumerate(tokens):
        if token.type != "heading_open" or position + 1 >= len(tokens):
            continue
        words = "".join(
            child.content for child in tokens[position + 1].children or [] if child.type in ("text", "code_inline")
        )
        base = slugify(words, allow_unicode=True)[:80] or "section"
        seen[base] = seen.get(base, 0) + 1
        token.attrSet("id", base if seen[base] == 1 else f"{base}-{seen[base]}")


# --- embeds -----------------------------------------------------------------------------------


def _marker(env: Mapping[str, object], number: int) -> str:
    return f"<p>kb-embed-{env['nonce']}-{number}</p>"


def _split_embeds(tokens: list[Token], env: dict[str, object]) -> list[Token]:
    """Each line of a paragraph that is only a video link becomes a block of its own (a marker the
    player replaces after sanitising); the lines around it stay paragraphs."""
    files = env["files"]
    embeds = env["embeds"]
    assert isinstance(files, Mapping)
    assert isinstance(embeds, list)
    result: list[Token] = []
    position = 0
    while position < len(tokens):
        token = tokens[position]
        is_paragraph = (
            token.type == "paragraph_open"
            and not token.hidden
            and position + 2 < len(tokens)
            and tokens[position + 1].type == "inline"
        )
        if not is_paragraph:
            result.append(token)
            position += 1
            continue
        inline, close = tokens[position + 1], tokens[position + 2]
        lines = _lines(inline.children or [])
        players = [_line_embed(line, files) for line in lines]
        if not any(players):
            result.extend((token, inline, close))
        else:
            pending: list[list[Token]] = []
            for line, player in zip(lines, players, strict=True):
                if player is None:
                    pending.append(line)
                    continue
                result.extend(_paragraph(pending, token, close))
                pending = []
                marker = Token("html_block", "", 0, block=True)
                marker.content = _marker(env, len(embeds)) + "\n"
                embeds.append(player)
                result.append(marker)
            result.extend(_paragraph(pending, token, close))
        position += 3
    return result


def _lines(children: list[Token]) -> list[list[Token]]:
    lines: list[list[Token]] = [[]]
    for child in children:
        if child.type in ("softbreak", "hardbreak"):
            lines[-1].append(child)
            lines.append([])
        else:
            lines[-1].append(child)
    return lines


def _paragraph(lines: list[list[Token]], opening: Token, closing: Token) -> list[Token]:
    children = [child for line in lines for child in line]
    while children and children[-1].type in ("softbreak", "hardbreak"):
        children.pop()
    if not children:
        return []
    inline = Token("inline", "", 0, children=children)
    inline.content = "".join(child.content for child in children)
    return [Token("paragraph_open", "p", 1, block=True), inline, Token("paragraph_close", "p", -1, block=True)]


def _line_embed(line: list[Token], files: Mapping[str, "ArticleFile"]) -> str | None:
    """The player for a line that is only a link (or a bare URL) to a video, else None."""
    parts = [
        t for t in line if t.type not in ("softbreak", "hardbreak") and not (t.type == "text" and not t.content.strip())
    ]
    if len(parts) == 1 and parts[0].type == "text" and _BARE_URL.match(parts[0].content.strip()):
        url, title = parts[0].content.strip(), ""
    elif len(parts) >= 2 and parts[0].type == "link_open" and parts[-1].type == "link_close":
        if any(t.type in ("link_open", "image") for t in parts[1:-1]):
            return None
        url = str(parts[0].attrGet("href") or "")
        title = "".join(t.content for t in parts[1:-1] if t.type in ("text", "code_inline")).strip()
        if title == url:
            title = ""
    else:
        return None
    return _youtube(url, title) or _vimeo(url, title) or _video(url, title, files)


def _youtube(url: str, title: str) -> str | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    host = (parts.hostname or "").removeprefix("www.").removeprefix("m.")
    query = parse_qs(parts.query)
    segments = [s for s in parts.path.split("/") if s]
    video = ""
    if host in ("youtube.com", "youtube-nocookie.com", "music.youtube.com"):
        if segments == ["watch"]:
            video = (query.get("v") or [""])[0]
        elif len(segments) == 2 and segments[0] in ("embed", "shorts", "live", "v"):
            video = segments[1]
    elif host == "youtu.be" and len(segments) == 1:
        video = segments[0]
    if parts.scheme not in ("http", "https") or not _YOUTUBE_ID.match(video):
        return None
    start = _seconds((query.get("t") or query.get("start") or [""])[0])
    source = f"https://www.youtube-nocookie.com/embed/{video}" + (f"?start={start}" if start else "")
    return _iframe(source, title or _("YouTube video"))


def _vimeo(url: str, title: str) -> str | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    host = (parts.hostname or "").removeprefix("www.")
    segments = [s for s in parts.path.split("/") if s]
    video, private = "", (parse_qs(parts.query).get("h") or [""])[0]
    if host == "player.vimeo.com" and len(segments) == 2 and segments[0] == "video":
        video = segments[1]
    elif host == "vimeo.com" and segments:
        numbered = [i for i, s in enumerate(segments) if _VIMEO_ID.match(s)]
        if numbered:
            video = segments[numbered[-1]]
            following = segments[numbered[-1] + 1 :]
            # An unlisted video's link carries its hash after the id: vimeo.com/123456/abcdef.
            if len(following) == 1 and _VIMEO_HASH.match(following[0]):
                private = following[0]
    if parts.scheme not in ("http", "https") or not _VIMEO_ID.match(video):
        return None
    options = {"dnt": "1", **({"h": private} if _VIMEO_HASH.match(private) else {})}
    return _iframe(f"https://player.vimeo.com/video/{video}?{urlencode(options)}", title or _("Vimeo video"))


def _seconds(value: str) -> int:
    found = _DURATION.match(value.strip().lower()) if value else None
    if not found:
        return 0
    hours, minutes, seconds = (int(group or 0) for group in found.groups())
    return hours * 3600 + minutes * 60 + seconds


def _iframe(source: str, title: str) -> str:
    return (
        '<div class="kb-embed">'
        f'<iframe src="{escape(source)}" title="{escape(title)}" width="560" height="315" loading="lazy" '
        'allow="encrypted-media; picture-in-picture; fullscreen" allowfullscreen '
        'referrerpolicy="strict-origin-when-cross-origin"></iframe></div>'
    )


def _video(url: str, title: str, files: Mapping[str, "ArticleFile"]) -> str | None:
    found = _lookup(url, files)
    if found is not None:
        if found.content_type not in VIDEO_TYPES:
            return None
        source, title = file_url(found), title or found.name
    else:
        parts = urlsplit(url)
        uploaded = not parts.scheme and not parts.netloc and parts.path.startswith(FILES_PATH)
        if not uploaded or not parts.path.lower().endswith((".mp4", ".webm")):
            return None
        source, title = url, title or unquote(parts.path.rsplit("/", 1)[-1])
    return (
        '<div class="kb-embed kb-embed-video">'
        f'<video controls preload="metadata" src="{escape(source)}" title="{escape(title)}">'
        f'<a href="{escape(source)}">{escape(title)}</a></video></div>'
    )


# --- plain text -------------------------------------------------------------------------------

_BLOCKS = {
    "p",
    "div",
    "li",
    "tr",
    "br",
    "pre",
    "blockquote",
    "table",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "figure",
    "figcaption",
    "details",
    "summary",
    *_HEADINGS,
}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS:
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _plain_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
