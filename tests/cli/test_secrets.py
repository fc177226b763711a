"""Secrets never reach output, errors, --json, the history or the book in clear (issue 11): a whole session
with a real Relm emulator over HTTP, every output and the book's bytes searched for the token."""

from __future__ import annotations

from conftest import book_bytes
from rolo.adapters.relm.emulator import RelmEmulator


def test_the_token_appears_in_no_output_and_not_in_the_book(rolo, relm: RelmEmulator, monkeypatch, tmp_path):
    token = relm.api_key
    outputs: list[str] = []

    def run(*args: str, ok: bool = True, input: str | None = None) -> None:
        result = rolo(*args, ok=ok, input=input)
        outputs.append(result.output)

    run("add", "--name", "Ada Lovelace", "--email", "ada@example.com", "--label", "math")
    run("remote", "add", "work", "--adapter", "relm", "--url", relm.url, "--token-env", "RELM_KEY")
    run("remote", "add", "kept", "--adapter", "relm", "--url", relm.url, "--token-stdin", input=token + "\n")
    for args in (("remote", "show", "work", "--json"), ("remote", "show", "kept"), ("remote", "test", "work"),
                 ("remote", "list", "--json"), ("sync", "work", "--json"), ("sync", "kept", "--dry-run"),
                 ("history", "--json"), ("conflicts", "--json"), ("doctor", "--json"), ("show", "ada@example.com")):
        run(*args, ok=args[0] != "doctor")
    run("--debug", "remote", "test", "work")
    # a wrong token: the remote refuses it, and the refusal names neither token
    monkeypatch.setenv("RELM_KEY", "sk_test_wrong_but_secret_0123456789")
    for args in (("sync", "work"), ("sync", "work", "--json"), ("remote", "test", "work"), ("doctor",)):
        run(*args, ok=False)

    for text in outputs:
        assert token not in text
        assert "sk_test_wrong_but_secret_0123456789" not in text
    assert token.encode() not in book_bytes(rolo.book_path)
