"""Two different cards with one UID in a file: the first is imported, the later one refused with a reason
naming the UID and the first card (it used to replace the first silently, and each re-import of the file
flipped the contact between the two)."""

from __future__ import annotations

CARD = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{name}\r\nEMAIL:{email}\r\nEND:VCARD\r\n"


def test_a_uid_reused_by_a_different_card_is_refused_and_reimports_change_nothing(rolo, tmp_path):
    cards = tmp_path / "cards.vcf"
    cards.write_text(CARD.format(uid="same", name="One", email="one@example.com")
                     + CARD.format(uid="other", name="Other", email="other@example.com")
                     + CARD.format(uid="same", name="Two", email="two@example.com")
                     + CARD.format(uid="other", name="Other", email="other@example.com"),  # the same card again
                     encoding="utf-8", newline="")
    for created, unchanged in ((2, 1), (0, 3)):
        result = rolo("import", str(cards), ok=False)
        assert result.exit_code == 3
        assert result.stderr.strip() == (f"failed: {cards} card 3: UID same again (card 1 has it, with other "
                                         "values): not imported, as one UID is one contact; give this card a "
                                         "UID of its own")
        assert result.stdout.startswith(f"{created} created, 0 updated, {unchanged} unchanged, 1 failed")
        assert rolo.json("show", "same")["formatted_name"] == "One"
