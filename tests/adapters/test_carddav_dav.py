"""The WebDAV XML rolo reads (`rolo.adapters.carddav.dav`): multistatus answers as servers write them."""

from __future__ import annotations

import pytest
from rolo.adapters.carddav import dav

ANSWERS = {
    "radicale": (
        '<?xml version="1.0"?><multistatus xmlns="DAV:"><response><href>/rolo/c/a%20b.vcf</href><propstat><prop>'
        '<getetag>"e1"</getetag></prop><status>HTTP/1.1 200 OK</status></propstat></response>'
        '<sync-token>http://radicale.org/ns/sync/t1</sync-token></multistatus>',
        [("/rolo/c/a b.vcf", None, '"e1"')], "http://radicale.org/ns/sync/t1"),
    "prefixed, absolute href": (
        '<d:multistatus xmlns:d="DAV:"><d:response><d:href>https://dav.example.com/card/x.vcf</d:href>'
        '<d:propstat><d:prop><d:getetag>"e2"</d:getetag></d:prop><d:status>HTTP/1.1 200 OK</d:status>'
        '</d:propstat></d:response></d:multistatus>',
        [("/card/x.vcf", None, '"e2"')], None),
    "removed member and a 404 propstat": (
        '<multistatus xmlns="DAV:"><response><href>/c/gone.vcf</href><status>HTTP/1.1 404 Not Found</status>'
        '</response><response><href>/c/y.vcf</href><propstat><prop><getetag/></prop>'
        '<status>HTTP/1.1 404 Not Found</status></propstat></response></multistatus>',
        [("/c/gone.vcf", 404, None), ("/c/y.vcf", None, None)], None),
}


@pytest.mark.parametrize("name", list(ANSWERS))
def test_multistatus_answers_are_read(name: str) -> None:
    body, expected, token = ANSWERS[name]
    answer = dav.parse_multistatus(body)
    assert [(r.href, r.status, r.text(dav.GETETAG)) for r in answer.responses] == expected
    assert answer.sync_token == token


LAUGHS = ('<?xml version="1.0"?><!DOCTYPE m [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
          '<multistatus xmlns="DAV:"><response><href>&b;</href></response></multistatus>')


@pytest.mark.parametrize("body", ["<html>oops</html>", "not xml at all", "", LAUGHS],
                         ids=["html", "text", "empty", "entities"])
def test_a_body_that_is_no_multistatus_is_refused(body: str) -> None:
    with pytest.raises(dav.DavParseError):
        dav.parse_multistatus(body)


def test_request_bodies_name_what_they_ask_for() -> None:
    assert b"<d:href>/c/a b.vcf</d:href>" in dav.multiget_body(["/c/a b.vcf"])
    assert b"<d:sync-token>tok</d:sync-token>" in dav.sync_collection_body("tok")
    assert b"custom-fields>[1]</" in dav.proppatch_body(dav.CUSTOM_FIELDS, "[1]")
