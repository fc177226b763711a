"""Phone numbers: E.164 normalisation with `phonenumbers`, the digit forms the search index holds, and the
checks a typed number gets (`check_number`: impossible, or not valid in the default region)."""

from __future__ import annotations

import re
from dataclasses import dataclass
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
    if is_all_zeros(text):
        return None  # "0000000000" has a possible length in many regions, but it is nobody's number
    try:
        parsed = phonenumbers.parse(text, region.upper())
    except phonenumbers.NumberParseException:
        return None
    # IS_POSSIBLE_LOCAL_ONLY ("555-0123" in the US) would give a wrong E.164 form: keep those unnormalised.
    if phonenumbers.is_possible_number_with_reason(parsed) != phonenumbers.ValidationResult.IS_POSSIBLE:
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


@lru_cache(maxsize=4096)
def to_e164_near(number: str, region: str, home_regions: tuple[str, ...] = ()) -> str | None:
    """`to_e164`, except that a number written without its +CC that is no valid number in `region` but is
    one in the region of the contact's own address (`home_regions`) is read there: '06-6341-8820' of a
    contact living in Japan is +81 6-6341-8820, not the merely possible-looking +1 066-341-8820."""
    e164 = to_e164(number, region)
    if not home_regions or number.strip().startswith("+") or number.strip().lower().startswith("tel:+"):
        return e164
    import phonenumbers

    if e164 and phonenumbers.is_valid_number(phonenumbers.parse(e164)):
        return e164
    for home in home_regions:
        if home != region.upper() and (there := to_e164(number, home)):
            if phonenumbers.is_valid_number(phonenumbers.parse(there)):
                return there
    return e164


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


def is_all_zeros(number: str) -> bool:
    """True for a number whose digits are all zeros (a placeholder some programs export)."""
    digits = re.sub(r"\D", "", number)
    return bool(digits) and set(digits) == {"0"}


IMPOSSIBLE, NOT_IN_REGION, VALID = "impossible", "not in region", "valid"
_WHY = {
    "TOO_SHORT": "too short", "TOO_LONG": "too long", "INVALID_LENGTH": "no number of that length",
    "INVALID_COUNTRY_CODE": "no such country code", "IS_POSSIBLE_LOCAL_ONLY": "no area code",
}


@dataclass(frozen=True)
class PhoneCheck:
    """What `check_number` found: `status` (VALID, NOT_IN_REGION: accepted with a warning, IMPOSSIBLE: no
    number anywhere), why (for the last two), and the regions where a number written without its country
    code is valid instead."""

    number: str
    region: str
    status: str
    why: str = ""
    regions: tuple[str, ...] = ()  # a tuple: checks are cached, and shared

    def message(self, config: str = "rolo.toml") -> str:
        """One line for the user: why the number is refused, or the warning for one kept as written (with
        how to write it, or how to set default_region in `config`, the config file)."""
        shown = repr(self.number)
        if self.status == IMPOSSIBLE:
            return f"{shown} is not a possible phone number: {self.why}"
        if self.status != NOT_IN_REGION:
            return f"{shown} is a valid number in {self.region}"
        if self.why.startswith("no number in use"):
            return f"{shown} is {self.why}: kept as written; check it"
        if self.why == _WHY["IS_POSSIBLE_LOCAL_ONLY"]:
            return (f"{shown} has no area code for {self.region} (your default_region): kept as written; "
                    "write the whole number, with +CC for one abroad")
        where = ", ".join(self.regions[:5]) + (f" and {len(self.regions) - 5} more" if len(self.regions) > 5 else "")
        example = "GB" if "GB" in self.regions else (self.regions or ("GB",))[0]
        return (f"{shown} is not a valid number in {self.region} (your default_region)"
                + (f"; it is one in {where}" if where else "")
                + f": kept as written; write it with its country code (+CC), or set default_region = "
                  f'"{example}" in {config}')


@lru_cache(maxsize=1024)
def check_number(number: str, region: str, *, scan_regions: bool = True) -> PhoneCheck:
    """Check a number a person typed against `region` (the config's default_region).

    Impossible: all zeros, an unknown country code, a length no numbering plan has (for a number written
    without +CC: in no region at all). Not in region: a number phonenumbers does not know as valid in the
    region (or for its +CC), but that is possible, or valid elsewhere: `regions` lists where. Without
    `scan_regions` (a whole book's numbers: trying every region costs ~20 ms a number), a number written
    without +CC is never called impossible unless all zeros, and `regions` stays empty.
    """
    import phonenumbers

    region = region.upper()
    text = number.strip()
    if text.lower().startswith("tel:"):
        text = text[4:].split(";", 1)[0]
    if is_all_zeros(text):
        return PhoneCheck(number, region, IMPOSSIBLE, "all its digits are zeros")
    try:
        parsed = phonenumbers.parse(text, region, keep_raw_input=True)  # raw input: how the +CC was written
    except phonenumbers.NumberParseException as exc:
        parsed, reason = None, _parse_error(exc)
    else:
        if phonenumbers.is_valid_number(parsed):
            return PhoneCheck(number, region, VALID)
        reason = phonenumbers.is_possible_number_with_reason(parsed)
        name = next(k for k, v in vars(phonenumbers.ValidationResult).items() if v == reason)
        reason = "possible" if name == "IS_POSSIBLE" else _WHY.get(name, name.lower())
    international = text.startswith("+") or (parsed is not None and parsed.country_code_source in (
        phonenumbers.CountryCodeSource.FROM_NUMBER_WITH_PLUS_SIGN, phonenumbers.CountryCodeSource.FROM_NUMBER_WITH_IDD))
    if international:
        if parsed is None or reason not in ("possible", _WHY["IS_POSSIBLE_LOCAL_ONLY"]):
            return PhoneCheck(number, region, IMPOSSIBLE, reason)
        where = phonenumbers.region_code_for_country_code(parsed.country_code)
        return PhoneCheck(number, region, NOT_IN_REGION, f"no number in use for +{parsed.country_code} ({where})")
    if not scan_regions:
        return PhoneCheck(number, region, NOT_IN_REGION, reason)
    elsewhere = _valid_regions(text, region)
    if elsewhere or reason in ("possible", _WHY["IS_POSSIBLE_LOCAL_ONLY"]):
        return PhoneCheck(number, region, NOT_IN_REGION, reason, tuple(elsewhere))
    return PhoneCheck(number, region, IMPOSSIBLE, f"{reason} for {region}, and no valid number in any region")


def _parse_error(exc: Exception) -> str:
    import phonenumbers

    kinds = {phonenumbers.NumberParseException.INVALID_COUNTRY_CODE: "no such country code",
             phonenumbers.NumberParseException.NOT_A_NUMBER: "not a number",
             phonenumbers.NumberParseException.TOO_SHORT_NSN: "too short",
             phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: "too short",
             phonenumbers.NumberParseException.TOO_LONG: "too long"}
    return kinds.get(getattr(exc, "error_type", None), "not a number")


def _valid_regions(text: str, region: str) -> list[str]:
    """Regions other than `region` where this nationally written number is a valid one (the whole list of
    regions is tried: ~0.1 s the first time, only for a number that is not valid in the default region)."""
    import phonenumbers

    found = []
    for other in sorted(phonenumbers.SUPPORTED_REGIONS - {region}):
        try:
            parsed = phonenumbers.parse(text, other)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number_for_region(parsed, other):
            found.append(other)
    return found


def international_form(number: str, region: str) -> str | None:
    """The number in international format (`+44 20 7946 0000`) as read in `region`, or None when it is not
    a possible number there."""
    import phonenumbers

    e164 = to_e164(number, region)
    if e164 is None:
        return None
    return phonenumbers.format_number(phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def region_for_country(country: str | None) -> str | None:
    """The region code of a country as an address writes it (`Japan`, `日本`, `Deutschland`, `JP`), from
    the country names phonenumbers ships in many languages; None when unknown or ambiguous."""
    if not country or not country.strip():
        return None
    return _country_names().get(" ".join(country.split()).casefold())


@lru_cache(maxsize=1)
def _country_names() -> dict[str, str]:
    import phonenumbers
    from phonenumbers.geodata.locale import LOCALE_DATA

    found: dict[str, set[str]] = {}
    for region, names in LOCALE_DATA.items():
        for name in names.values():
            if name.startswith("*"):  # "*en": the same name as that language's
                name = names.get(name[1:], "")
            if name:
                found.setdefault(name.casefold(), set()).add(region)
    for region in phonenumbers.SUPPORTED_REGIONS:
        found.setdefault(region.casefold(), set()).add(region)
    found.setdefault("uk", {"GB"})
    found.setdefault("usa", {"US"})
    return {name: next(iter(regions)) for name, regions in found.items() if len(regions) == 1}


def region_of_international(number: str) -> str | None:
    """The region of a number written with its +CC (`+81 3 1234 5678` -> JP), else None."""
    import phonenumbers

    text = number.strip()
    if not text.startswith("+"):
        return None
    try:
        parsed = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        return None
    return phonenumbers.region_code_for_number(parsed) if phonenumbers.is_valid_number(parsed) else None
