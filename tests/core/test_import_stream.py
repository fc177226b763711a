"""Large files stream in segments of whole cards; card numbers run on across segments."""

from __future__ import annotations

import io

import pytest

from rolo.core import vcard


def _cards(count: int, crlf: bool = True) -> bytes:
    end = "\r\n" if crlf else "\n"
    return "".join(
        f"BEGIN:VCARD{end}VERSION:3.0{end}UID:u{i}{end}FN:Person {i} Ünïcode{end}END:VCARD{end}"
        for i in range(count)
    ).encode()


def test_segments_cut_only_between_whole_cards():
    data = _cards(50)
    segments = list(vcard._segments(io.BytesIO(data), size=300))
    assert len(segments) > 5
    assert b"".join(segments) == data
    assert all(s.rstrip().upper().endswith(b"END:VCARD") for s in segments)


def test_nested_cards_are_never_cut_apart():
    inner = b"BEGIN:VCARD\nFN:Inner\nEND:VCARD\n"
    data = b"BEGIN:VCARD\nFN:Outer\n" + inner * 20 + b"END:VCARD\n" + _cards(3, crlf=False)
    segments = list(vcard._segments(io.BytesIO(data), size=10))
    assert segments[0].count(b"BEGIN:VCARD") == 21


def test_iter_file_numbers_cards_across_segments(tmp_path, monkeypatch):
    path = tmp_path / "many.vcf"
    path.write_bytes(b"\xef\xbb\xbf" + _cards(200))
    monkeypatch.setattr(vcard, "SEGMENT_BYTES", 500)
    results = list(vcard.iter_file(path))
    assert [r.index for r in results] == list(range(1, 201))
    assert [r.record.uid for r in results] == [f"u{i}" for i in range(200)]
    assert results[0].record.formatted_name == "Person 0 Ünïcode"


def test_utf16_files_are_read_whole(tmp_path):
    path = tmp_path / "utf16.vcf"
    path.write_bytes(_cards(3).decode().encode("utf-16"))
    assert [r.record.uid for r in vcard.iter_file(path)] == ["u0", "u1", "u2"]


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_files_stream_in_segments_like_any_other(tmp_path, monkeypatch, codec):
    path = tmp_path / "wide.vcf"
    path.write_bytes(_cards(400).decode().encode(codec))
    monkeypatch.setattr(vcard, "SEGMENT_BYTES", 1000)
    with path.open("rb") as handle:
        assert len(list(vcard._segments(handle))) > 10  # not read whole: memory stays flat
    results = list(vcard.iter_file(path))
    assert [r.record.uid for r in results] == [f"u{i}" for i in range(400)]
    assert [r.index for r in results] == list(range(1, 401))
    assert results[-1].record.formatted_name == "Person 399 Ünïcode"


def test_parallel_parsing_gives_the_same_cards_in_order(tmp_path, monkeypatch):
    path = tmp_path / "many.vcf"
    path.write_bytes(_cards(300) + b"garbage between\r\n" + _cards(2))
    monkeypatch.setattr(vcard, "SEGMENT_BYTES", 2000)
    serial = [(r.index, r.record.uid if r.record else r.error) for r in vcard.iter_file(path)]
    parallel = [(r.index, r.record.uid if r.record else r.error) for r in vcard.iter_file(path, workers=1)]
    assert parallel == serial and len(serial) == 303
