"""HTML bodies turned into readable text (sanitising is tickets.services.sanitise_html)."""

import re
from html.parser import HTMLParser

_BLOCK_TAGS = frozenset(
    {"p", "div", "table", "tr", "ul", "ol", "dl", "h1", "h2", "h3", "h4", "h5", "h6"}
    | {"blockquote", "pre", "address", "article", "aside", "footer", "header", "section"}
    | {"form", "hr", "center", "fieldset", "figure", "main", "nav", "dd", "dt", "body"}
)
_SKIP_TAGS = frozenset({"script", "style", "head", "title", "template", "noscript", "xml"})
_SPACE = re.compile(r"[ \t\r\n\f\v\u00a0\u200b]+")
_MANY_BLANK_LINES = re.compile(r"\n{3,}")


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0
        self.pre = 0
        self.links: list[tuple[str, int]] = []  # (href, index into parts where the link text starts)
        self.lists: list[list[int]] = []  # counter per open list (ol) or [-1] (ul)

    def newline(self, count: int = 1) -> None:
        self.parts.append("\n" * count)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self.skip += 1
        elif tag == "br":
            self.newline()
        elif tag == "li":
            self.newline()
            marker = "- "
            if self.lists and self.lists[-1][0] >= 0:
                self.lists[-1][0] += 1
                marker = f"{self.lists[-1][0]}. "
            self.parts.append("  " * max(len(self.lists) - 1, 0) + marker)
        elif tag in ("ul", "ol"):
            self.lists.append([0 if tag == "ol" else -1])
            self.newline()
        elif tag in ("td", "th"):
            self.parts.append(" ")
        elif tag == "img":
            alt = dict(attrs).get("alt") or ""
            if alt.strip():
                self.parts.append(f"[{alt.strip()}]")
        elif tag == "a":
            self.links.append((dict(attrs).get("href") or "", len(self.parts)))
        elif tag in _BLOCK_TAGS:
            self.newline(2 if tag in ("p", "blockquote", "h1", "h2", "h3", "table") else 1)
            if tag == "pre":
                self.pre += 1
            if tag == "hr":
                self.parts.append("----------\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _SKIP_TAGS:
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self.skip = max(self.skip - 1, 0)
        elif tag == "a" and self.links:
            href, start = self.links.pop()
            text = _SPACE.sub(" ", "".join(self.parts[start:])).strip()
            shown = href.removeprefix("mailto:")
            if href and not href.startswith(("#", "cid:", "javascript:")) and shown not in text:
                self.parts.append(f" ({shown})" if text else shown)
        elif tag in ("ul", "ol"):
            if self.lists:
                self.lists.pop()
            self.newline()
        elif tag in _BLOCK_TAGS:
            if tag == "pre":
                self.pre = max(self.pre - 1, 0)
            self.newline(2 if tag in ("p", "blockquote", "h1", "h2", "h3", "table") else 1)

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        self.parts.append(data if self.pre else _SPACE.sub(" ", data))


def html_to_text(html: str) -> str:
    """Readable text from HTML: paragraphs, line breaks, list items, links as "text (url)"."""
    extractor = _TextExtractor()
    try:
        extractor.feed(html)
        extractor.close()
    except Exception:
        return _SPACE.sub(" ", re.sub(r"<[^>]*>", " ", html)).strip()
    lines = [line.strip(" ") for line in "".join(extractor.parts).split("\n")]
    text = "\n".join(lines)
    return _MANY_BLANK_LINES.sub("\n\n", text).strip()
