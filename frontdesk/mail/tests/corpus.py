"""Where the real-world mail corpus lives (../shared/mail-corpus next to the repository)."""

import csv
import functools
import json
import os
from pathlib import Path
from typing import Any

from conftest import require_server
from frontdesk.mail.parsing import ParsedEmail, parse_email

REPO_ROOT = Path(__file__).resolve().parents[3]


# Where the workplace keeps it when a checkout is not beside it (CI's clean checkouts).
WORKPLACE_CORPUS = Path("/work/shared/mail-corpus")


def corpus_root() -> Path | None:
    """The corpus folder: $FRONTDESK_MAIL_CORPUS, else shared/mail-corpus beside the repository
    (or beside one of its parent folders), else the workplace's."""
    configured = os.environ.get("FRONTDESK_MAIL_CORPUS")
    if configured:
        candidates = [Path(configured)]
    else:
        candidates = [folder / "shared" / "mail-corpus" for folder in REPO_ROOT.parents] + [WORKPLACE_CORPUS]
    return next((root for root in candidates if (root / "INDEX.csv").is_file()), None)


def require_corpus() -> Path:
    """The corpus folder, or skip (fail under CI) when it is absent."""
    root = corpus_root()
    if root is None:
        require_server("mail corpus", "set FRONTDESK_MAIL_CORPUS or check out ../shared/mail-corpus")
        raise AssertionError("unreachable")  # require_server skips or fails
    return root


@functools.cache
def index_rows() -> tuple[dict[str, str], ...]:
    with (require_corpus() / "INDEX.csv").open(encoding="utf-8", newline="") as handle:
        return tuple(csv.DictReader(handle))


@functools.cache
def load_json(name: str) -> Any:
    return json.loads((require_corpus() / name).read_text(encoding="utf-8"))


@functools.cache
def raw(path: str) -> bytes:
    return (require_corpus() / path).read_bytes()


@functools.cache
def parsed(path: str) -> ParsedEmail:
    """The parse of one corpus file (cached: several tests look at the same messages)."""
    return parse_email(raw(path))
