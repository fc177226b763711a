"""Exporting the book: one vCard file, a vdir (one UID.vcf per contact), JSON or CSV.

Each format carries the notes log of the records given with it (`Book.with_log` fills `record.log`):
vCards as X-ROLO-LOG lines (see rolo.core.vcard), JSON as a `log` list of {id, at, text, source} on each
contact object (the JSON contact object of `rolo list --json` plus `log`, as `rolo show --json` prints it),
CSV as a last `log` column holding one `TIME  TEXT` line per entry, oldest first (the cell holds several
lines, which CSV quotes; line breaks inside an entry's text become spaces there, so each line is one entry).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from rolo.core.errors import UserError
from rolo.core.record import ContactRecord

FORMATS = ("vcf", "vdir", "json", "csv")
CSV_COLUMNS = ("uid", "formatted_name", "given_name", "family_name", "nickname", "organization", "title",
               "birthday", "emails", "phones", "urls", "labels", "notes", "log")


def _atomic_write(path: Path, text: str) -> None:
    """Write a file so a reader never sees half of it (temp file in the same folder, then rename)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise UserError(f"cannot write {path}: {exc.strerror or exc}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def without_private(records: list[ContactRecord], private_fields: Iterable[str], *, whole_log: bool = False
                    ) -> tuple[list[ContactRecord], int]:
    """The records with their private values left out (custom fields defined `--local`, notes-log entries
    logged `--local`, every entry with `whole_log`: the config's private_notes_log), for an export that was
    not asked to include them; and how many values were left out."""
    from dataclasses import replace

    from rolo.core.fields import field_key

    private = {field_key(name) for name in private_fields}
    left_out = 0
    kept = []
    for r in records:
        fields = {k: v for k, v in r.custom_fields.items() if field_key(k) not in private}
        log = [] if whole_log else [e for e in r.log if not e.local_only]
        left_out += len(r.custom_fields) - len(fields) + len(r.log) - len(log)
        kept.append(replace(r, custom_fields=fields, log=log) if len(fields) != len(r.custom_fields)
                    or len(log) != len(r.log) else r)
    return kept, left_out


def vdir_name(uid: str) -> str:
    """A safe file name for a contact in a vdir (the uid, with unsafe characters replaced)."""
    return re.sub(r"[^A-Za-z0-9._@+-]", "_", uid)[:200] + ".vcf"


def render(records: Iterable[ContactRecord], fmt: str, version: str = "3.0") -> str:
    """The whole export as text, for the single-file formats."""
    if fmt == "vcf":
        from rolo.core.vcard import export_card

        return "".join(export_card(r, version) for r in records)
    if fmt == "json":
        return json.dumps([contact_with_log(r) for r in records], ensure_ascii=False, indent=2) + "\n"
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        for r in records:
            data = r.to_json()
            data["emails"] = "; ".join(e.address for e in r.emails)
            data["phones"] = "; ".join(p.number for p in r.phones)
            data["urls"] = "; ".join(u.url for u in r.urls)
            data["labels"] = "; ".join(r.labels)
            data["log"] = "\n".join(f"{e.at}  {' '.join(e.text.split())}" for e in r.log)
            writer.writerow(["" if data[c] is None else data[c] for c in CSV_COLUMNS])
        return out.getvalue()
    raise UserError(f"unknown export format {fmt!r}")


def contact_with_log(record: ContactRecord) -> dict[str, Any]:
    """The JSON contact object with its notes log under `log` (oldest first)."""
    return {**record.to_json(), "log": [entry.to_json() for entry in record.log]}


def export_vdir(records: Iterable[ContactRecord], folder: Path, version: str = "3.0") -> int:
    """Write one UID.vcf per contact into a folder; returns how many were written."""
    from rolo.core.vcard import export_card

    if folder.exists() and not folder.is_dir():
        raise UserError(f"{folder} exists and is not a folder")
    count = 0
    for record in records:
        _atomic_write(folder / vdir_name(record.uid), export_card(record, version))
        count += 1
    return count


def write_file(path: Path, text: str) -> None:
    """Write an export file atomically."""
    _atomic_write(path, text)
