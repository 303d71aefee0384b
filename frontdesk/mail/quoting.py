"""The new part of a reply: without quoted history and without the signature."""

import re

# A line that introduces the quoted original ("On ... wrote:" and its translations).
# Checked on a line and on a line joined with the next (clients wrap long attributions).
_ATTRIBUTION = re.compile(
    r"^(?:"
    r"On\b.{4,200}\bwrote:"  # English (Gmail, Apple Mail, Thunderbird)
    r"|Am\b.{4,200}\bschrieb\b.{0,200}:"  # German
    r"|El\b.{4,200}\bescribi[óo]:"  # Spanish
    r"|Le\b.{4,200}\ba écrit\s?:"  # French
    r"|Op\b.{4,200}\bschreef\b.{0,200}:"  # Dutch
    r"|Il\b.{4,200}\bha scritto:"  # Italian
    r"|Em\b.{4,200}\bescreveu:"  # Portuguese
    r"|.{4,200}\bra[šs][ėe]:"  # Lithuanian ("2024-05-01, Jonas <j@x.lt> rašė:")
    r"|.{4,200}\b(?:wrote|schrieb|escribió|a écrit|rašė):"  # date-first variants
    r")\s*$",
    re.IGNORECASE,
)
_SEPARATOR = re.compile(
    r"^\s*(?:-{2,}\s*(?:Original(?:ly)?\s+Message|Ursprüngliche Nachricht|Mensaje original"
    r"|Original Nachricht|Originali žinutė|Pradinis laiškas|Message d'origine|Oorspronkelijk bericht)\s*-{2,})\s*$",
    re.IGNORECASE,
)
# An Outlook header block: "From:" followed within a few lines by "Sent:"/"Date:"/... .
_HEADER_FROM = re.compile(r"^\s*\*?(?:From|Von|De|Nuo|Van|Da)\s*:\*?\s", re.IGNORECASE)
_HEADER_SENT = re.compile(
    r"^\s*\*?(?:Sent|Date|Gesendet|Datum|Enviado|Fecha|Išsiųsta|Data|Envoyé|Verzonden|Inviato)"
    r"\s*:",
    re.IGNORECASE,
)
_SIGNATURE = re.compile(
    r"^(?:-- ?|--|__)$"
    r"|^(?:Sent|Get Outlook) (?:from|for) (?:my |Mail |Outlook|Yahoo|Samsung|BlackBerry)"
    r"|^Von meinem .{2,40} gesendet"
    r"|^Gesendet von meinem "
    r"|^Enviado desde mi "
    r"|^Išsiųsta iš mano ",
    re.IGNORECASE,
)
_QUOTED = re.compile(r"^\s*>")
_FORWARD = re.compile(
    r"^\s*(?:-+\s*(?:Forwarded message|Weitergeleitete Nachricht|Mensaje reenviado"
    r"|Persiųstas laiškas)\s*-+|Begin forwarded message:|Anfang der weitergeleiteten Nachricht:)",
    re.IGNORECASE,
)
_RULE = re.compile(r"^\s*(?:[-_=*]{3,}\s*)?$")


def _cut_index(lines: list[str]) -> int:
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            continue
        if _SEPARATOR.match(stripped) and index > 0:
            return index
        if _ATTRIBUTION.match(stripped):
            return index
        if index + 1 < len(lines) and _ATTRIBUTION.match(f"{stripped} {lines[index + 1].strip()}"):
            return index
        if _FORWARD.match(line):
            return len(lines)  # a forward: what follows is the content, not history
        if _HEADER_FROM.match(line) and any(
            _HEADER_SENT.match(following) for following in lines[index + 1 : index + 6]
        ):
            return index
        if _HEADER_SENT.match(line) and any(
            _HEADER_FROM.match(following) for following in lines[index + 1 : index + 4]
        ):
            return index
        if _SIGNATURE.match(stripped) and index > 0:
            return index
    return len(lines)


def strip_quoted(text: str) -> str:
    """The reply's own text: quoted history ("> ", "On ... wrote:", Outlook blocks) and the
    signature cut off; the whole text when nothing would be left."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept = [line for line in lines[: _cut_index(lines)] if not _QUOTED.match(line)]
    if not "".join(kept).strip():
        # Bottom-posted or interleaved reply: the own text sits between quoted lines.
        unquoted = [line for line in lines if not _QUOTED.match(line) and not _ATTRIBUTION.match(line.strip())]
        kept = unquoted[: _cut_index(unquoted)]
    while kept and _RULE.match(kept[-1]):
        kept.pop()  # the "____" line Outlook puts above its header block
    result = "\n".join(kept).strip()
    return result or text.strip()
