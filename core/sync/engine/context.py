"""What every step of a run shares: the options it was asked for, and the `Run` passed from step to step."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from rolo.core.errors import UserError
from rolo.core.sync.form import SyncForm
from rolo.core.sync.remotes import check_policy

if TYPE_CHECKING:
    import pluggy
    from rolo.core.book import Book
    from rolo.core.fields import FieldDefinition
    from rolo.core.record import ContactRecord
    from rolo.core.sync.adapter import Adapter, Capabilities
    from rolo.core.sync.engine.report import Report

MODES = ("both", "pull", "push")


def check_run(mode: str, policy: str | None) -> None:
    """Refuse a sync mode or conflict policy that does not exist (None: the remote's own policy)."""
    if mode not in MODES:
        raise UserError(f"unknown sync mode {mode!r} (both, pull or push)")
    if policy is not None:
        check_policy(policy)
TX = 500  # contacts per local transaction
GROUP = 50  # single remote writes per pending-marker transaction

#: Every contact's (uid, revision, deleted_at, updated_at), by row id (`sync_state.contact_states`).
ContactStates = dict[int, tuple[str, int, str | None, str]]


@dataclass
class SyncOptions:
    """How to run: the conflict policy, the direction, a dry run, the guards, a forced complete listing."""

    policy: str = "local"
    mode: str = "both"
    dry_run: bool = False
    force_delete: bool = False
    full: bool | None = None  # None: incremental when the adapter can and a bookmark exists
    progress: Callable[[str, int, int], None] | None = None
    include_private: bool = False  # send the book's private custom fields too (`rolo sync --include-private`)
    # only these remote records (their ids), fetched one by one instead of a listing: a webhook's pull
    only: tuple[str, ...] = ()


@dataclass
class Run:
    """One run of one remote, as every step sees it: the book, the remote's name, its adapter and what it
    can carry, the options, the plugin manager, the report being filled, and what steps hand on."""

    book: Book
    remote: str
    adapter: Adapter
    caps: Capabilities
    options: SyncOptions
    pm: pluggy.PluginManager
    report: Report
    pulled: list[dict[str, Any]] = field(default_factory=list)  # contacts the pull wrote, for after_pull
    remote_defs: dict[str, FieldDefinition] | None = None  # the remote's field definitions, once asked
    taken: dict[str, int] = field(default_factory=dict)  # remote id -> contact id, while creating

    def progress(self, phase: str, done: int, total: int) -> None:
        """Tell the caller's progress callback, if any."""
        if self.options.progress:
            self.options.progress(phase, done, total)

    def load(self, ids: Iterable[int]) -> dict[int, ContactRecord]:
        """The book's contacts with these row ids (deleted or not), by id, read consistently."""
        return {r.id: r for r in self.book.load(list(ids))}  # type: ignore[misc]

    def form(self, record: ContactRecord) -> SyncForm:
        """A book contact as this remote can carry it."""
        return SyncForm.of(record, self.caps)

    # -- the sync hooks ----------------------------------------------------------------------------------
    @property
    def hooks_before_push(self) -> bool:
        """Whether any plugin implements `before_push`."""
        return bool(self.pm.hook.before_push.get_hookimpls())

    def before_push(self, form: SyncForm) -> SyncForm:
        """Run the before_push hooks in registration order, each seeing the previous one's result (on a copy:
        the form itself is the link's snapshot-to-be, which must stay what the book holds)."""
        data = dict(form.data)
        for impl in self.pm.hook.before_push.get_hookimpls():
            kwargs = {"remote": self.remote, "record": data}
            result = impl.function(*[kwargs[a] for a in impl.argnames])
            if result is not None:
                data = cast("dict[str, Any]", result)
        return SyncForm(data, self.caps)


@dataclass
class Progress:
    """A phase's progress (`pull`, `push`), told to the caller as chunks finish."""

    run: Run
    phase: str
    total: int
    done: int = 0

    def advance(self, n: int = 1) -> None:
        self.done += n
        self.run.progress(self.phase, self.done, self.total)
