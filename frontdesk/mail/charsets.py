"""Decoding text whose charset is declared wrongly, not at all, or exotically.

Nothing here raises: an unknown or lying charset falls back to UTF-8, then to
Windows-1252, and undecodable bytes become U+FFFD.
"""

import base64
import binascii
import codecs
import quopri
import re

# Declared name (lower case) -> the codec that really decodes what senders mean by it.
CHARSET_ALIASES: dict[str, str] = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "iso-gb2312": "gb18030",
    "euc-cn": "gb18030",
    "x-euc-cn": "gb18030",
    "cp936": "gb18030",
    "ks_c_5601": "cp949",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601-1989": "cp949",
    "ksc5601": "cp949",
    "euc-kr": "cp949",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "windows-31j": "cp932",
    "iso-2022-jp": "iso2022_jp_ext",
    "big5": "big5hkscs",
    "unicode-1-1-utf-7": "utf-7",
    "utf7": "utf-7",
    "tis-620": "cp874",
    "iso-8859-11": "cp874",
    "iso-8859-8-i": "iso-8859-8",
    "iso-8859-6-i": "iso-8859-6",
    "us-ascii": "utf-8",  # 8-bit bytes under us-ascii are nearly always UTF-8 or Windows-1252
    "ascii": "utf-8",
    "ansi_x3.4-1968": "utf-8",
    "x-unknown": "utf-8",
    "unknown": "utf-8",
    "unknown-8bit": "utf-8",
    "x-user-defined": "utf-8",
    "default": "utf-8",
    "utf8": "utf-8",
    "latin1": "iso-8859-1",
    "macintosh": "mac-roman",
}

_LATIN1_NAMES = frozenset({"iso-8859-1", "iso8859-1", "iso_8859-1", "latin-1", "l1", "cp819"})
_C1_BYTES = re.compile(rb"[\x80-\x9f]")


def codec_for(charset: str | None) -> str:
    """The Python codec to use for a declared charset ("" or unknown: "utf-8")."""
    name = (charset or "").strip().strip("\"'").lower()
    name = CHARSET_ALIASES.get(name, name)
    if not name:
        return "utf-8"
    try:
        return codecs.lookup(name).name
    except (LookupError, ValueError):
        return "utf-8"


_WEAK_CHARSETS = frozenset(
    {"", "us-ascii", "ascii", "ansi_x3.4-1968", "x-unknown", "unknown", "unknown-8bit"} | {"x-user-defined", "default"}
)


# Codecs whose ASCII-only bytes do not mean ASCII text.
_NOT_ASCII_SAFE = ("utf-7", "utf-16", "utf-32", "utf_16", "utf_32", "2022", "hz")


def _is_known(name: str) -> bool:
    try:
        codecs.lookup(CHARSET_ALIASES.get(name, name))
    except (LookupError, ValueError):
        return False
    return True


def decode_bytes(data: bytes, charset: str | None, *, fallback: str | None = None) -> str:
    """Decode body or header bytes; never raises.

    A real declared charset wins (bad bytes become U+FFFD); a missing, vague
    (us-ascii, unknown-8bit) or unknown one tries UTF-8, then `fallback` (e.g.
    the body charset for a raw 8-bit header), then Windows-1252.
    """
    declared = (charset or "").strip().strip("\"'").lower()
    if data.isascii() and not any(part in codec_for(declared) for part in _NOT_ASCII_SAFE):
        return data.decode("ascii")
    if declared not in _WEAK_CHARSETS and _is_known(declared):
        codec = codec_for(declared)
        if declared in _LATIN1_NAMES and _C1_BYTES.search(data):
            codec = "cp1252"  # senders label Windows-1252 text as ISO-8859-1
        try:
            return data.decode(codec, errors="replace")
        except (LookupError, ValueError, TypeError):  # pragma: no cover - defensive
            pass
    candidates = ["utf-8"]
    if fallback and _is_known(fallback.strip().lower()):
        candidates.append(codec_for(fallback))
    candidates.append("cp1252")
    for candidate in candidates:
        try:
            return data.decode(candidate)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode("utf-8", errors="replace")


# Multi-byte charsets and their relatives: mailers that declare one often send another.
_FAMILIES: dict[str, tuple[str, ...]] = {
    "gb18030": ("gb18030", "big5hkscs"),
    "big5hkscs": ("big5hkscs", "gb18030"),
    "cp932": ("cp932", "euc_jp", "iso2022_jp_ext"),
    "euc_jp": ("euc_jp", "cp932"),
    "iso2022_jp_ext": ("cp932", "euc_jp", "iso2022_jp_ext"),
    "iso2022_jp": ("cp932", "euc_jp", "iso2022_jp"),
    "cp949": ("cp949",),
}


def header_charset_candidates(declared: list[str]) -> tuple[str, ...]:
    """Codecs to try, in order, for raw 8-bit header bytes of a message declaring `declared`.

    UTF-8 first; then declared multi-byte charsets (and their relatives), since
    single-byte ones accept any bytes; then the first declared charset; then GB18030.
    """
    codecs_found = [codec_for(c) for c in declared if c and _is_known(c.strip().lower())]
    multi = [fam for c in codecs_found for fam in _FAMILIES.get(c, ())]
    single = [c for c in codecs_found if c not in _FAMILIES and c != "utf-8"][:1]
    return tuple(dict.fromkeys(["utf-8", *multi, *single, "gb18030"]))


_HIGH_RUN = re.compile(rb"[\x80-\xff]{4,}")
_MULTI_BYTE = frozenset({"utf-8", "gb18030", *_FAMILIES, *(c for f in _FAMILIES.values() for c in f)})


def decode_8bit_header(data: bytes, candidates: tuple[str, ...] = ("utf-8", "gb18030")) -> str:
    """Raw 8-bit header bytes: the first candidate codec that decodes them, else cp1252.

    Long runs of 8-bit bytes are East Asian text far more often than Western text
    (where accented letters sit between ASCII ones), so then multi-byte codecs go first.
    """
    if _HIGH_RUN.search(data):
        candidates = tuple(sorted(candidates, key=lambda c: c not in _MULTI_BYTE))
    for codec in candidates:
        try:
            return data.decode(codec)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode("cp1252", errors="replace")


# An encoded-word, tolerating spaces inside the encoded text (broken mailers emit them).
_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([qQbB])\?([^?]*?)\?=")
_BETWEEN_WORDS = re.compile(r"[ \t\r\n]*")


def _decode_word_bytes(encoding: str, text: str) -> bytes:
    if encoding in "bB":
        cleaned = re.sub(r"[^A-Za-z0-9+/]", "", text)
        cleaned += "=" * (-len(cleaned) % 4)
        try:
            return base64.b64decode(cleaned)
        except (binascii.Error, ValueError):
            return text.encode("ascii", "surrogateescape")
    raw = text.replace("_", " ").encode("ascii", "surrogateescape")
    return quopri.decodestring(raw, header=True)


def decode_rfc2047(value: str, *, fallback: str | None = None) -> str:
    """Decode RFC 2047 encoded-words anywhere in `value` (lenient), joining adjacent ones.

    Adjacent words in the same charset are decoded together, since mailers split
    multi-byte characters across words.
    """
    if "=?" not in value:
        return value
    out: list[str] = []
    pos = 0
    pending: bytes = b""
    pending_charset = ""
    for match in _ENCODED_WORD.finditer(value):
        between = value[pos : match.start()]
        adjacent = bool(pending_charset) and _BETWEEN_WORDS.fullmatch(between) is not None
        charset = match.group(1).split("*", 1)[0]
        if not adjacent or charset.lower() != pending_charset.lower():
            if pending_charset:
                out.append(decode_bytes(pending, pending_charset, fallback=fallback))
                pending, pending_charset = b"", ""
            if not adjacent:
                out.append(between)
        encoding, text = match.group(2), match.group(3)
        if codec_for(charset) == "utf-7" and " " in text:
            text = text.replace(" ", "")  # Exchange puts spaces into UTF-7 words
        pending += _decode_word_bytes(encoding, text)
        pending_charset = charset
        pos = match.end()
    if pending_charset:
        out.append(decode_bytes(pending, pending_charset, fallback=fallback))
    out.append(value[pos:])
    return "".join(out)


def has_surrogates(value: str) -> bool:
    """True when `value` carries raw 8-bit bytes (the email package's surrogateescape)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def decode_header_value(value: str, *, candidates: tuple[str, ...] = ("utf-8", "gb18030")) -> str:
    """Decode one (unfolded) header value: raw 8-bit bytes first, then encoded-words.

    `candidates` are the codecs for raw 8-bit bytes (see `header_charset_candidates`).
    """
    if has_surrogates(value):
        value = decode_8bit_header(value.encode("utf-8", "surrogateescape"), candidates)
    fallback = next((c for c in candidates[1:] if c != "gb18030"), None)
    return decode_rfc2047(value, fallback=fallback)
