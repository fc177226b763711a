"""The notes log in vCards: X-ROLO-LOG lines out and back in, apart from the card's own NOTE."""

from __future__ import annotations

from rolo.core.record import ContactRecord, LogEntry
from rolo.core.vcard import export_card, log_source_key, parse_card

CARD = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ada\r\nNOTE:the card's own note\r\n"
    'X-ROLO-LOG;X-AT="2026-12-03T08:00:00Z":Lunch\\; Paris\\, May\\nsecond line\r\n'
    "X-ROLO-LOG;X-AT=2026-12-04T09:30:00Z:written by hand\r\n"
    'X-ROLO-LOG;X-AT="2026-12-05T10:00:00Z";X-SOURCE="relate:meeting:42":Quarterly review\r\n'
    "X-ROLO-LOG:no time: not an entry\r\nEND:VCARD\r\n"
)


def test_log_lines_are_read_as_entries_not_notes():
    record = parse_card(CARD)
    assert record.notes == "the card's own note"
    assert [(e.at, e.text, e.source) for e in record.log] == [
        ("2026-12-03T08:00:00Z", "Lunch; Paris, May\nsecond line",
         log_source_key("2026-12-03T08:00:00Z", "Lunch; Paris, May\nsecond line")),
        ("2026-12-04T09:30:00Z", "written by hand", log_source_key("2026-12-04T09:30:00Z", "written by hand")),
        ("2026-12-05T10:00:00Z", "Quarterly review", "relate:meeting:42"),
    ]
    assert record.extras == ["X-ROLO-LOG:no time: not an entry"]
    assert "log" not in record.to_json() and "log" not in record.content_key()


def test_log_is_written_back_and_reads_the_same_in_both_versions():
    record = ContactRecord(uid="u1", formatted_name="Ada", notes="own note", log=[
        LogEntry("2026-12-03T08:00:00Z", "a; b, c\nd \\ e"),
        LogEntry("2026-12-05T10:00:00Z", "pulled", "relate:meeting:42"),
    ])
    for version in ("3.0", "4.0"):
        text = export_card(record, version)
        assert text.count("X-ROLO-LOG;") == 2 and 'X-SOURCE="relate:meeting:42"' in text
        back = parse_card(text)
        assert back.notes == "own note"
        assert [(e.at, e.text) for e in back.log] == [(e.at, e.text) for e in record.log]
        assert back.log[1].source == "relate:meeting:42"
        # a derived key is not written (it is derived again on read), so exports stay short
        assert export_card(back, version).count("X-SOURCE") == 1
