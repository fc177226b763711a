"""The sync scenarios (AdapterConformance) for Relm, over HTTP against the Relm emulator."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from rolo.adapters.conformance import AdapterConformance, person
from rolo.adapters.relm.emulator import RelmEmulator
from rolo.core.record import ContactRecord


class RelmSide:
    """Relm as its users change it: through the emulator's store (its web app), not rolo's adapter."""

    def __init__(self, emulator: RelmEmulator) -> None:
        self.emulator = emulator
        self.url = emulator.url
        self.api_key = emulator.api_key

    def add(self, given: str, family: str | None, email: str | None, **fields: Any) -> str:
        return self.emulator.store.create_contact(first_name=given, last_name=family, email=email)["id"]

    def edit(self, rid: str, **fields: Any) -> None:
        body: dict[str, Any] = {}
        names = {"given_name": "first_name", "family_name": "last_name"}
        for key, value in fields.items():
            if key in names:
                body[names[key]] = value
            elif key == "emails":
                body["email"] = value[0]["address"] if value else None
        metadata = dict(fields.get("custom_fields") or {})
        if "labels" in fields:  # as the adapter documents: a list in the reserved text field
            metadata["rolo_labels"] = ", ".join(fields["labels"]) or None
        if metadata:
            body["metadata"] = metadata
        self.emulator.store.update_contact(rid, **body)

    def remove(self, rid: str) -> None:
        self.emulator.store.delete_contact(rid)

    def find_email(self, email: str) -> str:
        (found,) = [c["id"] for c in self.emulator.store.contacts() if (c["email"] or "").lower() == email.lower()]
        return found

    def storm(self, status: int, every: int) -> None:
        self.emulator.fail_every(every, status)

    def calm(self) -> None:
        self.emulator.clear_faults()

    def slow(self, seconds: float) -> None:
        self.emulator.delay(seconds)

    def refusable(self) -> ContactRecord:
        return person("bad", "Bad", "Address", "bad@localhost")  # Relm wants local@domain.tld


@pytest.fixture(scope="module")
def relm_emulator_module() -> Iterator[RelmEmulator]:
    with RelmEmulator() as emulator:
        yield emulator


class TestRelm(AdapterConformance):
    @pytest.fixture
    def adapter_name(self) -> str:
        return "relm"

    @pytest.fixture
    def adapter_options(self) -> dict[str, str]:
        # the storms fail every 2nd or 3rd request, so one retry each suffices; a remote down for good is
        # given up on after 3 s instead of a minute
        return {"retry_attempts": "6", "retry_max_time": "3"}

    @pytest.fixture
    def remote_side(self, relm_emulator_module: RelmEmulator) -> Iterator[RelmSide]:
        relm_emulator_module.reset()
        yield RelmSide(relm_emulator_module)
        errors = list(relm_emulator_module.errors)
        relm_emulator_module.reset()
        assert not errors, "the emulator raised:\n" + "\n".join(errors)
