"""Sync with a CardDAV server (#12): rolo and vdirsyncer, each pushing the same generated contacts to its own
address book of one real Radicale (started here, in its own process, on 127.0.0.1), in the same run.

- first push: a book of N contacts (1,000 and 10,000; `--quick`: 1,000) synced to an empty address book by
  the whole `rolo sync` command; vdirsyncer's first `vdirsyncer sync` of a vdir holding the same contacts
  (written by rolo's vCard export, one .vcf each) to an empty address book of the same server;
- no-op sync: each command again, nothing changed on either side. For rolo, the sync right after the
  push (whose listing holds every card it just wrote), the one after that (both list every card's etag: the
  remote is set to `full_every = "0"`, a complete listing every sync), and one from the stored sync-token
  alone (`full_every = "1d"`, what `rolo remote add --adapter carddav` writes by default).

Targets from the issue: rolo's first push at least 5 × vdirsyncer's rate, its no-op no slower than
vdirsyncer's, both measured here in the same run.
"""

from __future__ import annotations

import os
import subprocess
import time

from registry import BIN, Row, RunContext, at_least, at_most, benchmark, fill_book

SIZES, QUICK = (1_000, 10_000), (1_000,)


def _timed(ctx: RunContext, args: list[str], env: dict[str, str]) -> tuple[float, str]:
    began = time.perf_counter()
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    took = time.perf_counter() - began
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:3])}… exited {done.returncode}: {(done.stdout + done.stderr)[-500:]}")
    return took, done.stdout


def _rolo(ctx: RunContext, server: object, size: int, records: list) -> tuple[float, float, float, float]:
    """rolo's first push, the two no-op syncs after it, and a no-op from a sync-token (seconds)."""
    from rolo.core.sync import remotes

    href = server.make_addressbook(f"rolo-{size}")  # type: ignore[attr-defined]
    home = ctx.workdir / f"rolo-{size}"
    home.mkdir()
    (home / "rolo.toml").write_text('default_region = "US"\n', encoding="utf-8")
    fill_book(home / "book.db", records)
    remotes.add_remote(home / "rolo.toml", remotes.Remote(
        "bench", "carddav", server.url.rstrip("/") + href, token_env="BENCH_CARDDAV_TOKEN", full_every="0"))  # type: ignore[attr-defined]
    env = {**ctx.env, "ROLO_HOME": str(home), "BENCH_CARDDAV_TOKEN": server.api_key}  # type: ignore[attr-defined]
    command = [str(BIN / "rolo"), "sync", "bench"]
    first, out = _timed(ctx, command, env)
    assert f"remote {size} created" in out, out
    noop_after_push, out = _timed(ctx, command, env)
    assert "remote no changes" in out and "book no changes" in out, out
    noop, _ = _timed(ctx, command, env)
    # with `full_every = "1d"` (carddav's default) the sync-token alone says what changed: no listing of every etag
    text = (home / "rolo.toml").read_text(encoding="utf-8")
    (home / "rolo.toml").write_text(text.replace('adapter = "carddav"', 'adapter = "carddav"\nfull_every = "1d"'),
                                    encoding="utf-8")
    _timed(ctx, command, env)  # the complete listing `full_every` asks for once
    incremental, out = _timed(ctx, command, env)
    assert "remote no changes" in out, out
    ctx.log(f"carddav: rolo {size:,}: first push {first:.2f} s, no-op {noop_after_push:.2f} s then {noop:.2f} s, "
            f"with a sync-token {incremental:.2f} s")
    return first, noop_after_push, noop, incremental


def _vdirsyncer(ctx: RunContext, server: object, size: int, records: list) -> tuple[float, float]:
    """vdirsyncer's first sync (upload of the vdir) and a no-op sync after it (seconds)."""
    from rolo.core.vcard import export_card

    href = server.make_addressbook(f"vds-{size}")  # type: ignore[attr-defined]
    root = ctx.workdir / f"vds-{size}"
    (root / "vdir").mkdir(parents=True)
    for record in records:
        (root / "vdir" / f"{record.uid}.vcf").write_text(export_card(record), encoding="utf-8", newline="")
    config = root / "config"
    config.write_text(server.vdirsyncer_config(root, href, pair="bench", password_env="BENCH_CARDDAV_PASSWORD"),  # type: ignore[attr-defined]
                      encoding="utf-8")
    env = {**os.environ, "BENCH_CARDDAV_PASSWORD": server.password}  # type: ignore[attr-defined]
    command = [str(BIN / "vdirsyncer"), "-c", str(config)]
    _timed(ctx, [*command, "discover"], env)
    first, _ = _timed(ctx, [*command, "sync"], env)
    noop, _ = _timed(ctx, [*command, "sync"], env)
    ctx.log(f"carddav: vdirsyncer {size:,}: first sync {first:.2f} s, no-op {noop:.2f} s")
    return first, noop


@benchmark("carddav sync", scope="once")
def carddav_sync(ctx: RunContext) -> list[Row]:
    """First push and no-op sync to Radicale, rolo beside vdirsyncer, 1,000 and 10,000 contacts."""
    from generate import ContactGenerator
    from rolo.adapters.carddav.emulator import RadicaleServer

    rows: list[Row] = []
    with RadicaleServer(folder=ctx.workdir / "radicale") as server:
        for size in QUICK if ctx.quick else SIZES:
            records = [g.record for g in ContactGenerator(seed=12).generate(size)]
            vds_first, vds_noop = _vdirsyncer(ctx, server, size, records)
            first, noop_after_push, noop, incremental = _rolo(ctx, server, size, records)
            vds_rate = size / vds_first
            rows += [
                Row(f"CardDAV (Radicale), {size:,} contacts: vdirsyncer first sync", vds_rate, "cards/s"),
                Row("  vdirsyncer no-op sync", vds_noop, "s"),
                Row("  rolo first push (`rolo sync`, whole command)", size / first, "cards/s",
                    at_least(5 * vds_rate)),
                Row("  rolo / vdirsyncer first-push rate", vds_first / first, "×", at_least(5.0)),
                Row("  rolo no-op sync right after the push", noop_after_push, "s", at_most(vds_noop)),
                Row("  rolo no-op sync with a complete listing (--full-every 0)", noop, "s", at_most(vds_noop)),
                Row("  rolo no-op sync from the sync-token (the default, full_every 1d)", incremental, "s",
                    at_most(vds_noop)),
            ]
    return rows
