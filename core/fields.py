"""Typed custom fields: the types, how a value is checked, stored (canonical text) and shown (JSON)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import urlparse

from rolo.core.errors import ValidationError

FIELD_TYPES = ("text", "textarea", "number", "date", "datetime", "bool", "select", "url")
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")
_TRUE = {"true", "yes", "y", "1", "on"}
_FALSE = {"false", "no", "n", "0", "off"}


def field_key(name: str) -> str:
    """Names compare case-insensitively with `-` and `_` alike, so `X-MET-AT` finds `met_at`."""
    return name.strip().lower().replace("-", "_")


def validate_field_name(name: str) -> str:
    """A field name: a letter, then letters, digits, `_` or `-` (it becomes a vCard `X-` property)."""
    if not _NAME.match(name):
        raise ValidationError(
            f"invalid field name {name!r}: start with a letter, then letters, digits, '_' or '-'"
        )
    return name


@dataclass
class FieldDefinition:
    """A custom field as defined in the book."""

    name: str
    type: str
    options: list[str] = field(default_factory=list)
    multiple: bool = False
    # private (`rolo field define --local`): never pushed to a remote nor exported unless asked
    local_only: bool = False

    def canonical(self, raw: str) -> str:
        """Check one value and return its stored text form; raise ValidationError naming the field."""
        value = raw.strip()
        try:
            return _CANONICAL[self.type](value, self)
        except ValidationError:
            raise
        except ValueError:
            raise ValidationError(f"field {self.name}: {raw!r} is not a valid {self.type}") from None

    def canonical_values(self, raws: list[str]) -> list[str]:
        """Check a list of values for this field (one unless the field is multiple)."""
        if not raws:
            raise ValidationError(f"field {self.name}: no value given")
        if len(raws) > 1 and not self.multiple:
            raise ValidationError(f"field {self.name} takes one value (define it with --multiple for more)")
        return [self.canonical(r) for r in raws]

    def to_json(self, stored: list[str]) -> Any:
        """The JSON value: typed scalars, a list when the field is multiple."""
        values = [_json_value(self.type, s) for s in stored]
        return values if self.multiple else (values[0] if values else None)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, "options": list(self.options), "multiple": self.multiple,
                "local_only": self.local_only}


def _number(value: str, _d: FieldDefinition) -> str:
    number = float(value)
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError(value)
    return str(int(number)) if number.is_integer() and "e" not in value.lower() else repr(number)


def _bool(value: str, _d: FieldDefinition) -> str:
    if value.lower() in _TRUE:
        return "true"
    if value.lower() in _FALSE:
        return "false"
    raise ValueError(value)


def _select(value: str, d: FieldDefinition) -> str:
    for option in d.options:
        if option.lower() == value.lower():
            return option
    raise ValidationError(f"field {d.name}: {value!r} is not one of {', '.join(d.options)}")


def _url(value: str, _d: FieldDefinition) -> str:
    parts = urlparse(value)
    if parts.scheme in ("http", "https", "ftp") and parts.netloc or parts.scheme in ("mailto", "tel", "xmpp"):
        return value
    raise ValueError(value)


def _text(value: str, d: FieldDefinition) -> str:
    if d.type == "text" and "\n" in value:
        raise ValidationError(f"field {d.name} is single-line text (use type textarea for several lines)")
    if not value:
        raise ValidationError(f"field {d.name}: empty value (use 'rolo field unset' to clear it)")
    return value


_CANONICAL = {
    "text": _text,
    "textarea": _text,
    "number": _number,
    "date": lambda v, d: date.fromisoformat(v).isoformat(),
    "datetime": lambda v, d: datetime.fromisoformat(v.replace("Z", "+00:00")).isoformat(),
    "bool": _bool,
    "select": _select,
    "url": _url,
}


def _json_value(type_: str, stored: str) -> Any:
    if type_ == "number":
        number = float(stored)
        return int(number) if number.is_integer() and "." not in stored else number
    if type_ == "bool":
        return stored == "true"
    return stored
