"""Phone numbers: E.164 normalisation with `phonenumbers`, and the digit forms the search index holds."""

from __future__ import annotations

import re
from functools import lru_cache

_PHONE_CHARS = re.compile(r"^\+?[\d\s().\-/]{5,}$")


def looks_like_phone(text: str) -> bool:
    """True for text that is plausibly a phone number (digits with the usual punctuation)."""
    text = text.strip()
    if text.lower().startswith("tel:"):
        text = text[4:]
    return bool(_PHONE_CHARS.match(text)) and sum(c.isdigit() for c in text) >= 5


@lru_cache(maxsize=4096)
def to_e164(number: str, region: str) -> str | None:
    """The E.164 form of a number typed in any common format, or None when it does not parse."""
    import phonenumbers

    text = number.strip()
    if text.lower().startswith("tel:"):
        text = text[4:].split(";", 1)[0]
    try:
        parsed = phonenumbers.parse(text, region.upper())
    except phonenumbers.NumberParseException:
        return None
    # IS_POSSIBLE_LOCAL_ONLY ("555-0123" in the US) would give a wrong E.164 form: keep those unnormalised.
    if phonenumbers.is_possible_number_with_reason(parsed) != phonenumbers.ValidationResult.IS_POSSIBLE:
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


@lru_cache(maxsize=4096)
def search_digits(number: str, e164: str | None) -> list[str]:
    """Digit strings a search should find this number by: international, national (with trunk prefix)
    and as typed, so `+821012345678`, `01012345678` and `010-1234-5678` all match."""
    forms = {re.sub(r"\D", "", number)}
    if e164:
        import phonenumbers

        parsed = phonenumbers.parse(e164)
        forms.add(e164.lstrip("+"))
        forms.add(str(parsed.national_number))
        national = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
        forms.add(re.sub(r"\D", "", national))
    return sorted(f for f in forms if f)
