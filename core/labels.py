"""Entry labels: one vocabulary for the labels on a contact's emails, phones, addresses and urls.

The book keeps an entry's label as it was written (`mobile`, `work fax`, `iPhone`, `Handy`, `Google Voice`):
a vCard round-trips it unchanged and the user sees their own word. Wherever a label has to be *understood*
(sent to a remote whose labels are a short fixed list, compared with the label such a remote gives back,
written as a vCard TYPE) it goes through this module, so that a phone labelled `android` is a mobile for
every remote alike.

- `CLASSES`: per list field (`emails`, `phones`, `addresses`, `urls`), the canonical classes a label falls
  in; `other` is every field's catch-all.
- `classify(kind, label)`: the class of a label, from the words real exporters write (vCard TYPEs, Apple's
  `_$!<Mobile>!$_`, Google's and Android's labels, custom labels that contain such a word).
- `nearest(kind, label, allowed)`: the class among a remote's label set (`Capabilities.entry_labels`),
  `other` when the remote lacks the class. The sync engine takes two labels with the same `nearest` as
  equal, so the book's finer label is never overwritten by the remote's coarser one.
- vCard TYPE parameters and labels, both ways: `label_from_types`, `types_for_label`, `unwrap_apple`.

Pure functions, no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable
from functools import lru_cache

#: The list fields whose entries carry labels (the JSON contact object's names).
KINDS = ("emails", "phones", "addresses", "urls")
#: Every field's catch-all class, and the class of an entry without a label.
OTHER = "other"

# Each kind's classes, as (class, the words that name it). `_SPECIFIC` classes say what the entry *is* and are
# looked for anywhere in the label, in this order (a "work fax" is a fax, a "work mobile" a mobile, "company
# main" a main number); the `_PLACES` say where it belongs, and the first place word of the label decides
# ("home work" is home). A word is matched casefolded and without accents, so "Móvil" is "movil".
_WORK = frozenset({
    "work", "office", "business", "company", "corporate", "biz", "job", "arbeit", "buro", "geschaftlich",
    "dienstlich", "bureau", "travail", "trabajo", "oficina", "lavoro", "ufficio", "会社", "勤務先",
})
_HOME = frozenset({
    "home", "house", "personal", "private", "privat", "residence", "domicile", "maison", "zuhause", "casa",
    "hogar", "自宅",
})
_PLACES: tuple[tuple[str, frozenset[str]], ...] = (("work", _WORK), ("home", _HOME))
_SPECIFIC: dict[str, tuple[tuple[str, frozenset[str]], ...]] = {
    "phones": (
        # Apple writes HomeFAX/WorkFAX/OtherFAX as one word
        ("fax", frozenset({"fax", "telefax", "facsimile", "homefax", "workfax", "otherfax"})),
        ("pager", frozenset({"pager", "beeper", "bleeper", "workpager"})),
        # pcs: vCard 3.0's "personal communication services", a mobile; Handy, Natel: German, Swiss German
        ("mobile", frozenset({
            "mobile", "cell", "cellular", "cellphone", "mobilephone", "iphone", "android", "handy", "mobil",
            "movil", "celular", "portable", "natel", "mob", "gsm", "pcs", "workmobile", "携帯",
        })),
        ("main", frozenset({"main", "companymain", "switchboard"})),
    ),
    "emails": (),
    "addresses": (),
    "urls": (
        ("linkedin", frozenset({"linkedin"})),
        ("x", frozenset({"x", "twitter"})),
        ("facebook", frozenset({"facebook", "fb"})),
        ("instagram", frozenset({"instagram", "ig"})),
        ("github", frozenset({"github"})),
        ("youtube", frozenset({"youtube"})),
        ("mastodon", frozenset({"mastodon"})),
        ("website", frozenset({"website", "homepage", "web", "www", "site"})),
        ("blog", frozenset({"blog", "weblog"})),
        ("profile", frozenset({"profile"})),
    ),
}
#: The canonical classes of each kind: what a remote may declare in `Capabilities.entry_labels`.
CLASSES: dict[str, frozenset[str]] = {
    kind: frozenset({name for name, _ in specific} | {name for name, _ in _PLACES} | {OTHER})
    for kind, specific in _SPECIFIC.items()
}
# Two-word spellings of one word, joined before matching ("home page" is a website, not a home).
_PHRASES = {"home page": "homepage", "web site": "website", "web page": "website", "cell phone": "cellphone",
            "mobile phone": "mobilephone", "company main": "companymain"}
_APPLE_LABEL = re.compile(r"_\$!<(.*)>!\$_")


def unwrap_apple(text: str) -> str:
    """Apple's built-in label `_$!<Other>!$_` as 'other' (lower case); any other text as it is."""
    match = _APPLE_LABEL.fullmatch(text)
    return match.group(1).lower() if match else text


def _words(label: str) -> list[str]:
    text = unicodedata.normalize("NFKD", unwrap_apple(label.strip()).casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    words: list[str] = []
    for token in re.split(r"[\s,;]+", text):
        # vCard's private types ("x-mobile", "x-aunt") are labels too: the prefix says nothing
        token = token[2:] if token.startswith("x-") else token
        words += [w for w in re.split(r"[\W_]+", token) if w]
    joined = " ".join(words)
    for phrase, word in _PHRASES.items():
        joined = re.sub(rf"\b{phrase}\b", word, joined)
    return joined.split()


@lru_cache(maxsize=4096)  # a sync compares the same few labels thousands of times
def classify(kind: str, label: str | None) -> str:
    """The canonical class of an entry label (one of `CLASSES[kind]`).

    Args:
        kind: the list field: "emails", "phones", "addresses" or "urls".
        label: the label as the book (or a remote) has it, any case; None or "" for no label.

    Returns:
        the class: for phones `android` → mobile, `work fax` → fax, `_$!<Main>!$_` → main; for emails
        `Private` → home; for urls `Home Page` → website, `Twitter` → x. A label naming no class (`school`,
        `Google Voice`), and no label at all, is `other`.

    Raises:
        ValueError: `kind` is not one of `KINDS`.
    """
    if kind not in _SPECIFIC:
        raise ValueError(f"entry labels are for {', '.join(KINDS)}, not {kind!r}")
    if not label:
        return OTHER
    words = _words(label)
    present = set(words)
    for name, synonyms in _SPECIFIC[kind]:
        if present & synonyms:
            return name
    for word in words:
        for name, synonyms in _PLACES:
            if word in synonyms:
                return name
    return OTHER


def nearest(kind: str, label: str | None, allowed: Collection[str]) -> str | None:
    """The label a remote with the label set `allowed` gives this entry label.

    That is `classify(kind, label)` when `allowed` has that class, else `other` when it has `other`, else None
    (the remote has no label for it). A fax on a remote whose phones are mobile/work/other is `other`.
    """
    found = classify(kind, label)
    if found in allowed:
        return found
    return OTHER if OTHER in allowed else None


def same_class(kind: str, a: str | None, b: str | None, allowed: Collection[str]) -> bool:
    """Whether two entry labels are one label for a remote with the label set `allowed` (`android` and
    `mobile`; `home` and `other` on a remote whose phones have no home)."""
    return a == b or nearest(kind, a, allowed) == nearest(kind, b, allowed)


# -- vCard TYPE parameters ----------------------------------------------------------------------------------
#: TYPE values that say how an entry is used, not which it is: left out of the label read from TYPEs, and a
#: label equal to one is not written as a TYPE (it would not read back as that label).
VCARD_IGNORED: dict[str, frozenset[str]] = {
    "emails": frozenset({"INTERNET", "PREF", "X400"}),
    "phones": frozenset({"VOICE", "PREF", "MSG"}),
    "addresses": frozenset({"PREF", "POSTAL", "PARCEL", "DOM", "INTL"}),
    "urls": frozenset({"PREF"}),
}
# TYPE values read as another word: vCard's CELL is the book's `mobile` (and `mobile` is written as CELL).
_VCARD_READ: dict[str, dict[str, str]] = {"phones": {"CELL": "MOBILE"}}
# Placed first in a label of several types, as Apple and Google show them: 'work fax', 'home mobile'.
_VCARD_PLACES = ("HOME", "WORK")
# Words a label of several words may be written back as (any x- type too); a label of one word is written as
# TYPE whenever it is a token.
_VCARD_KNOWN: dict[str, frozenset[str]] = {
    "phones": frozenset({"home", "work", "other", "mobile", "fax", "pager", "video", "text", "textphone",
                         "car", "isdn", "pcs", "bbs", "modem", "main", "iphone"}),
    "emails": frozenset({"home", "work", "other"}),
    "addresses": frozenset({"home", "work", "other"}),
    "urls": frozenset({"home", "work", "other"}),
}
_TOKEN = re.compile(r"[a-z0-9-]+")


def label_from_types(kind: str, types: Iterable[str]) -> str | None:
    """The label of an entry's TYPE values (upper case, as parsed): one type lowercased ('home'), several
    joined by spaces with home/work first ('work fax', 'home mobile'), so TEL;TYPE=FAX,WORK keeps both; the
    `VCARD_IGNORED` ones left out, CELL read as 'mobile'. None when no type is left."""
    read = _VCARD_READ.get(kind, {})
    ignored = VCARD_IGNORED[kind]
    found = list(dict.fromkeys(t for t in (read.get(t, t) for t in types) if t not in ignored))
    ordered = [t for t in found if t in _VCARD_PLACES] + [t for t in found if t not in _VCARD_PLACES]
    return " ".join(t.lower() for t in ordered) or None


def _vcard_type(kind: str, word: str) -> str | None:
    """The TYPE value that reads back as this one word, or None (an ignored type, or one read as another)."""
    read = _VCARD_READ.get(kind, {})
    if word.upper() in VCARD_IGNORED[kind] or word.upper() in read:
        return None
    written = {v.lower(): k.lower() for k, v in read.items()}
    return written.get(word, word)


def types_for_label(kind: str, label: str | None) -> list[str]:
    """The TYPE values that read back (`label_from_types`) as exactly this label: one token ('fax',
    'homepage'; `mobile` as 'cell'), or several known types ('work fax' → work,fax). [] when no TYPE can carry
    it (upper case, spaces in an unknown label, an ignored type), and the label is written another way (vCard
    export uses an Apple-style X-ABLabel)."""
    if not label:
        return []
    words = label.split(" ")
    if len(words) > 1 and not all(w in _VCARD_KNOWN[kind] or w.startswith("x-") for w in words):
        return []
    kinds = [_vcard_type(kind, w) if _TOKEN.fullmatch(w) else None for w in words]
    return [k for k in kinds if k] if all(kinds) else []
