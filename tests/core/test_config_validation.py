"""rolo.toml is checked when it is loaded (issue 11): a value of the wrong type, or a region phonenumbers does
not know, is one UserError naming the file, the key and what was expected, for every command; unknown keys
are left to `rolo doctor`."""

from __future__ import annotations

import pytest

from rolo.core.config import config_problems, load_config
from rolo.core.errors import UserError


def _write(tmp_path, text):
    path = tmp_path / "rolo.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("book = 5\n", "book must be a string (a file path, a sqlite:/// or a postgresql:// URL), not an integer (5)"),
        ('book = ""\n', "book must not be empty"),
        ('default_region = "XX"\n', "default_region 'XX' is not a region phonenumbers knows"),
        ("default_region = 44\n", "default_region must be a string (a region code such as US or GB), not an integer"),
        ("watch = 5\n", "watch must be a table ([watch]), not an integer (5)"),
        ("[watch]\nfolder = 5\n", "watch.folder must be a string (a folder path), not an integer (5)"),
        ("remotes = 3\n", "remotes must be a table of remotes ([remotes.NAME]), not an integer (3)"),
        ('remotes = "work"\n', "remotes must be a table of remotes ([remotes.NAME]), not a string"),
        ("[remotes]\nwork = 5\n", "remotes.work must be a table ([remotes.work]), not an integer (5)"),
        ('[remotes.work]\nadapter = "relm"\nurl = 8\n', "remotes.work.url must be a string"),
        ('[remotes.work]\nadapter = "relm"\nurl = "http://x"\ntimeout = "soon"\n',
         "remotes.work.timeout must be a number (seconds), not a string ('soon')"),
        ('[remotes.work]\nadapter = "relm"\nurl = "http://x"\noptions = 1\n',
         "remotes.work.options must be a table ([remotes.work.options]), not an integer (1)"),
        ('[webhooks]\nport = "eighty"\n', "webhooks.port must be a port number (1-65535), not a string ('eighty')"),
        ('[remotes.work]\nadapter = "relm"\nurl = "http://x"\nwebhook_secret_env = 1\n',
         "remotes.work.webhook_secret_env must be a string (an environment variable's name), not an integer (1)"),
    ],
    ids=["book-int", "book-empty", "region-XX", "region-int", "watch-int", "watch-folder-int", "remotes-int",
         "remotes-str", "remote-int", "remote-url-int", "remote-timeout-str", "remote-options-int", "webhooks-port",
         "remote-webhook-secret-int"],
)
def test_a_wrong_value_is_one_error_naming_file_key_and_type(tmp_path, text, expected):
    path = _write(tmp_path, text)
    with pytest.raises(UserError) as caught:
        load_config(path)
    message = str(caught.value)
    assert message.startswith(f"config file {path}: "), message
    assert expected in message
    assert "\n" not in message


@pytest.mark.parametrize(
    "text",
    [
        "",
        'book = "book.db"\ndefault_region = "GB"\n',
        'default_region = "de"\n',  # any case, as before
        'book = "sqlite:////tmp/x.db"\n[watch]\nfolder = "~/Drop"\n',
        '[remotes.work]\nadapter = "relm"\nurl = "http://x"\ntoken_env = "K"\ntimeout = 5\nfull_every = "1h"\n'
        '[remotes.work.options]\npage_size = "200"\n',
        '[remotes.work]\nadapter = "relm"\nurl = "http://x"\ntimeout = 2.5\nfull_every = 0\n',
    ],
    ids=["empty", "book-and-region", "lowercase-region", "watch-folder", "remote", "remote-numbers"],
)
def test_valid_configs_load(tmp_path, text):
    config = load_config(_write(tmp_path, text))
    assert config_problems(config.data) == [] or all(p.unknown for p in config_problems(config.data))


def test_the_sample_config_is_valid():
    from conftest import SAMPLE_BOOK

    config = load_config(SAMPLE_BOOK / "rolo.toml")
    assert config_problems(config.data) == []


def test_unknown_keys_load_but_are_problems_for_doctor(tmp_path):
    config = load_config(_write(tmp_path, 'defualt_region = "GB"\n[watch]\nafter = "keep"\n'
                                          '[remotes.work]\nadapter = "relm"\nurl = "http://x"\ntokn_env = "K"\n'))
    problems = config_problems(config.data)
    assert [(p.key, p.unknown) for p in problems] == [
        ("defualt_region", True), ("watch.after", True), ("remotes.work.tokn_env", True)]
    assert all(p.fix for p in problems)


def test_every_problem_is_listed_not_only_the_first(tmp_path):
    path = _write(tmp_path, 'book = 5\ndefault_region = "XX"\nremotes = 3\n[watch]\nfolder = 5\n')
    problems = config_problems(load_config(path, validate=False).data)
    assert [p.key for p in problems] == ["book", "default_region", "watch.folder", "remotes"]
    assert not any(p.unknown for p in problems)


def test_an_unvalidated_config_with_a_bad_book_has_no_book(tmp_path):
    config = load_config(_write(tmp_path, "book = 5\n"), validate=False)
    assert config.book is None
