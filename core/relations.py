"""Relationships between people: the kinds rolo knows, the other direction of each, and how vCards name
them (vCard 4.0 `RELATED;TYPE=…`, Apple's `X-ABRELATEDNAMES` with an `X-ABLabel`, Android's relation rows).

A link is stored on one contact: `rolo relate ADA spouse BOB` stores on Ada that Bob is her spouse. Bob's
side is derived when shown: Ada is Bob's spouse (a symmetric kind), or, for `parent`, Bob's child. A kind
rolo does not know (`godmother`) is kept as written; its other direction is shown as "their godmother".
"""

from __future__ import annotations

#: The kinds `rolo relate --help` lists; any other word is a custom kind, kept as written.
KINDS = ("spouse", "partner", "child", "parent", "sibling", "friend", "colleague", "manager", "assistant")

# B is A's KIND -> A is B's INVERSE[KIND]
_INVERSE = {
    **{k: k for k in ("spouse", "partner", "sibling", "friend", "colleague", "co-worker", "kin", "relative",
                      "neighbor", "co-resident", "acquaintance", "contact", "sweetheart", "date", "met",
                      "domestic partner")},
    "brother": "sibling", "sister": "sibling",
    "parent": "child", "mother": "child", "father": "child",
    "child": "parent", "son": "parent", "daughter": "parent",
    "manager": "report", "report": "manager",
    "assistant": "boss", "boss": "assistant",
}

#: vCard 4.0's TYPE values of RELATED (RFC 6350 §6.6.6); a kind outside them is written as TYPE=contact
#: with the kind in X-ROLO-KIND, which strict readers accept and rolo reads back.
RFC_TYPES = frozenset({"contact", "acquaintance", "friend", "met", "co-worker", "colleague", "co-resident",
                       "neighbor", "child", "parent", "sibling", "spouse", "kin", "muse", "crush", "date",
                       "sweetheart", "me", "agent", "emergency"})
_RFC_NEAREST = {"mother": "parent", "father": "parent", "son": "child", "daughter": "child",
                "brother": "sibling", "sister": "sibling", "relative": "kin", "partner": "sweetheart",
                "domestic partner": "sweetheart", "assistant": "agent"}

#: Apple's built-in labels of X-ABRELATEDNAMES (written `_$!<Spouse>!$_`); other kinds are plain labels.
APPLE_LABELS = frozenset({"father", "mother", "parent", "brother", "sister", "child", "son", "daughter",
                          "friend", "spouse", "partner", "assistant", "manager", "other"})

#: Android's relation types (ContactsContract.CommonDataKinds.Relation.TYPE_*), in `X-ANDROID-CUSTOM`.
ANDROID_TYPES = {"1": "assistant", "2": "brother", "3": "child", "4": "domestic partner", "5": "father",
                 "6": "friend", "7": "manager", "8": "mother", "9": "parent", "10": "partner",
                 "11": "referred by", "12": "relative", "13": "sister", "14": "spouse"}

#: Properties some programs write for one relation: (property name, kind); the value is the person's name.
NAMED_PROPERTIES = {
    "X-SPOUSE": "spouse", "X-EVOLUTION-SPOUSE": "spouse", "X-KADDRESSBOOK-X-SPOUSESNAME": "spouse",
    "X-MS-SPOUSE": "spouse", "X-MANAGER": "manager", "X-EVOLUTION-MANAGER": "manager",
    "X-KADDRESSBOOK-X-MANAGERSNAME": "manager", "X-MS-MANAGER": "manager", "X-ASSISTANT": "assistant",
    "X-EVOLUTION-ASSISTANT": "assistant", "X-KADDRESSBOOK-X-ASSISTANTSNAME": "assistant",
    "X-MS-ASSISTANT": "assistant",
}


def normal_kind(kind: str) -> str:
    """A kind as stored: known kinds lower case, a custom one as written (spaces tidied)."""
    text = " ".join(kind.split())
    return text.lower() if text.lower() in _INVERSE or text.lower() in RFC_TYPES or text.lower() in APPLE_LABELS \
        else text


def inverse(kind: str) -> str | None:
    """The kind seen from the other side (`parent` -> `child`), None for a kind rolo does not know."""
    return _INVERSE.get(kind.lower())


def seen_from_other_side(kind: str) -> str:
    """How the other contact's page names this link: its inverse kind, else "their KIND"."""
    return inverse(kind) or f"their {kind}"


def rfc_type(kind: str) -> str:
    """The RELATED TYPE a kind is written with in vCard 4.0."""
    value = kind.lower()
    return value if value in RFC_TYPES else _RFC_NEAREST.get(value, "contact")
