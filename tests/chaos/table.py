"""Print the "Faults and load" table from the JSON lines the chaos and fuzz tests append to
$ROLO_CHAOS_REPORT (see chaoskit.Tally): `python tests/chaos/table.py build/soak.jsonl`."""

from __future__ import annotations

import json
import sys
from collections import defaultdict

COLUMNS = ("rounds", "kills", "faults", "inputs", "lost", "duplicated", "locked")
HEADERS = ("scenario", "rounds", "kills (SIGKILL)", "faults injected / inputs refused", "inputs", "lost",
           "duplicated", "\"database is locked\"", "")


def main(path: str) -> int:
    totals: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COLUMNS, 0))
    notes: dict[str, list[str]] = defaultdict(list)
    soak = False
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            soak = soak or row.get("soak", False)
            for column in COLUMNS:
                totals[row["scenario"]][column] += row[column]
            if row.get("note"):
                notes[row["scenario"]].append(row["note"])
    print(f"{'make soak' if soak else 'bounded run (make test sizes)'}:\n")
    print("| " + " | ".join(HEADERS) + " |")
    print("|" + "---|" * len(HEADERS))
    for scenario, figures in totals.items():
        cells = [scenario, *(f"{figures[c]:,}" for c in COLUMNS), "; ".join(notes[scenario])]
        print("| " + " | ".join(cells) + " |")
    all_ = {c: sum(f[c] for f in totals.values()) for c in COLUMNS}
    print("| **total** | " + " | ".join(f"**{all_[c]:,}**" for c in COLUMNS) + " | |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "build/soak.jsonl"))
