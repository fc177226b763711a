"""`make demo`: a tour of rolo on the sample book, in a fresh book under .demo/.

Runs the real `rolo` command of this virtualenv, printing each command line before its output, as a new user
would type them. ROLO_CONFIG points at sample_book/rolo.toml, whose `book` key puts the book in .demo/.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ROLO = Path(sys.executable).parent / "rolo"
DEMO = REPO / ".demo"


def run(*args: str, check: bool = True) -> str:
    print(f"\n$ rolo {shlex.join(args)}", flush=True)
    result = subprocess.run([str(ROLO), *args], cwd=REPO, text=True, capture_output=True)
    print(result.stdout, end="")
    print(result.stderr, end="", file=sys.stderr)
    if check and result.returncode != 0:
        sys.exit(f"demo step failed with exit {result.returncode}: rolo {shlex.join(args)}")
    return result.stdout


def main() -> None:
    shutil.rmtree(DEMO, ignore_errors=True)
    DEMO.mkdir()
    os.environ["ROLO_CONFIG"] = str(REPO / "sample_book" / "rolo.toml")
    os.environ.setdefault("COLUMNS", "120")
    print(f"# A fresh book in {DEMO.relative_to(REPO)}/ (ROLO_CONFIG=sample_book/rolo.toml)")
    print("# Custom fields first, so the cards' X-MET-AT, X-TIER... land in typed fields:")
    run("field", "define", "met_at", "--type", "text")
    run("field", "define", "tier", "--type", "select", "--option", "close", "--option", "friend",
        "--option", "acquaintance")
    run("field", "define", "first_met", "--type", "date")
    run("field", "define", "newsletter", "--type", "bool")
    run("import", "sample_book/contacts")
    print("\n# Importing the same files again changes nothing:")
    run("import", "sample_book/contacts")
    run("list", "--label", "Climbing")
    run("search", "org:northwind")
    run("search", "tier:close")
    run("search", "415-555-0142")
    print("\n# Jon Smith was exported by two programs; rolo spots such pairs:")
    run("dupes")
    run("merge", "dd468ec4d3954f77", "537cda91")
    run("show", "jon.smith@example.com")
    run("label", "list")
    run("add", "--name", "Ada Lovelace", "--email", "work:ada@example.com", "--phone", "mobile:+44 20 7946 0123",
        "--label", "Book Club", "--field", "tier=close")
    run("note", "add", "ada@example.com", "Met at the Royal Society; wants the Bernoulli notes")
    run("search", "bernoulli")
    run("email", "northwind")
    run("birthdays", "--within", "60")
    # every write is in the history, and undo reverts one (then undoing the undo brings it back)
    run("edit", "ada@example.com", "--set", "title=Countess")
    run("history", "--limit", "3")
    run("undo")
    run("undo", "--dry-run")
    run("show", "ada@example.com", "--history")
    crm_tour()
    sync_tour()
    relate_tour()
    relatecrm_tour()
    relaybook_tour()
    print(f"\n# Done. Try more yourself: export ROLO_CONFIG={REPO / 'sample_book' / 'rolo.toml'}; "
          f"{ROLO.relative_to(REPO)} --help")


def crm_tour() -> None:
    print("\n# The personal CRM: interactions, keeping in touch, relationships, dates")
    run("log", "emily.carter@example.com", "--via", "call", "--at", "3w ago", "Mum's birthday plans")
    run("log", "jordan.ellis@example.com", "--via", "message", "--at", "45d ago", "Climbing Saturday?")
    run("keep", "--label", "Family", "--every", "2w")
    run("keep", "jordan.ellis@example.com", "--every", "1m")
    run("due")
    run("relate", "emily.carter@example.com", "parent", "bob.carter56@example.net")
    run("edit", "emily.carter@example.com", "--add-date", "anniversary=2012-12-15")
    run("show", "bob.carter56@example.net")
    run("dates", "--within", "30")


def sync_tour() -> None:
    """Sync with a Relm CRM: its emulator, started the way a user would (`rolo emulate relm`)."""
    import json

    import httpx

    # `rolo remote add` writes to the config file: use a copy, so sample_book/rolo.toml stays as it is
    config = DEMO / "rolo.toml"
    shutil.copy(REPO / "sample_book" / "rolo.toml", config)
    os.environ["ROLO_CONFIG"] = str(config)
    print("\n# Sync with a remote CRM. No account needed: rolo emulates Relm on 127.0.0.1")
    print("$ rolo emulate relm --port 0 --json &")
    server = subprocess.Popen([str(ROLO), "emulate", "relm", "--port", "0", "--json"], stdout=subprocess.PIPE,
                              text=True)
    try:
        info = json.loads(server.stdout.readline())  # type: ignore[union-attr]
        print(json.dumps(info))
        os.environ["RELM_KEY"] = info["api_key"]
        relm = httpx.Client(base_url=info["url"], headers={"Authorization": f"Bearer {info['api_key']}"})
        # someone already keeps a contact in the CRM
        relm.post("/v1/contacts", json={"first_name": "Alan", "last_name": "Turing", "email": "alan@example.com"})
        print("$ export RELM_KEY=...   # the key it printed")
        run("remote", "add", "crm", "--adapter", "relm", "--url", info["url"], "--token-env", "RELM_KEY")
        run("remote", "test", "crm")
        print("\n# Relm keeps emails unique, so merge the other pair `rolo dupes` finds before the first sync:")
        run("merge", "4137B8E2", "8fbc9615")
        run("sync", "--dry-run")
        run("sync")
        print("\n# Now Ada's family name changes in the book and, differently, in the CRM; Alan's only there:")
        run("edit", "ada@example.com", "--set", "family=King")
        people = {c["email"]: c["id"] for c in relm.get("/v1/contacts", params={"limit": 200}).json()["data"]}
        relm.patch(f"/v1/contacts/{people['ada@example.com']}", json={"last_name": "Byron"})
        relm.patch(f"/v1/contacts/{people['alan@example.com']}", json={"last_name": "Turing-Smith"})
        run("sync")
        run("conflicts")
        print("# the book won (the default policy, --conflict local); take the CRM's value after all:")
        conflict = json.loads(subprocess.run([str(ROLO), "conflicts", "--json"], capture_output=True,
                                             text=True).stdout)[0]
        run("conflicts", "resolve", str(conflict["id"]), "--take", "remote")
        run("sync")
        run("show", "ada@example.com")
        run("remote", "show", "crm")
        webhook_tour(relm, info["url"])
    finally:
        server.terminate()
        server.wait(10)


def webhook_tour(relm: object, url: str) -> None:
    """Relm's signed webhooks: `rolo serve-webhooks` pulls a contact the moment it changes in the CRM."""
    import socket
    import time

    with socket.socket() as probe:  # a free port on 127.0.0.1 for the receiver
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    print("\n# Webhooks: Relm tells rolo when a contact changes; subscribe, give rolo the signing secret, serve")
    hook = relm.post("/v1/webhooks", json={"url": f"http://127.0.0.1:{port}/hooks/crm",  # type: ignore[attr-defined]
                                           "event_types": ["contact.created", "contact.updated"]}).json()
    os.environ["RELM_WHSEC"] = hook["secret"]
    print("$ export RELM_WHSEC=whsec_...   # the secret Relm returned")
    run("remote", "add", "crm", "--adapter", "relm", "--url", url, "--token-env", "RELM_KEY",
        "--webhook-secret-env", "RELM_WHSEC", "--replace")
    print(f"$ rolo serve-webhooks --port {port} &")
    server = subprocess.Popen([str(ROLO), "serve-webhooks", "--port", str(port)], stderr=subprocess.PIPE, text=True)
    try:
        while "listening" not in (line := server.stderr.readline()):  # type: ignore[union-attr]
            if not line:
                sys.exit("demo step failed: rolo serve-webhooks did not start")
            print(line, end="")
        print("# someone adds Grace in the CRM; no `rolo sync` needed:")
        relm.post("/v1/contacts", json={"first_name": "Grace", "last_name": "Hopper",  # type: ignore[attr-defined]
                                        "email": "grace@example.com"})
        deadline = time.monotonic() + 15
        while "Grace" not in subprocess.run([str(ROLO), "search", "grace", "--json"], capture_output=True,
                                            text=True).stdout and time.monotonic() < deadline:
            time.sleep(0.2)
        server.terminate()
        print(server.communicate(timeout=10)[1], end="")
        run("search", "grace")
    finally:
        if server.poll() is None:
            server.kill()


def relate_tour() -> None:
    """Sync the same book with Relate too: labels become Relate lists, phones come back in E.164."""
    import json

    import httpx

    print("\n# A second remote: Relate (`rolo emulate relate`), where each label is a list of contacts")
    server = subprocess.Popen([str(ROLO), "emulate", "relate", "--port", "0", "--json"], stdout=subprocess.PIPE,
                              text=True)
    try:
        info = json.loads(server.stdout.readline())  # type: ignore[union-attr]
        os.environ["RELATE_KEY"] = info["api_key"]
        relate = httpx.Client(base_url=info["url"], headers={"Authorization": f"Bearer {info['api_key']}"})
        relate.post("/v1/contacts", json={"first_name": "Paul", "last_name": "Atreides", "emails": ["paul@atreid.es"],
                                          "phone_numbers": ["010-1234-5678"], "organization_id": "auto"})
        run("remote", "add", "rel", "--adapter", "relate", "--url", info["url"], "--token-env", "RELATE_KEY")
        run("sync", "rel")
        print("\n# In Relate, Ada joins the Climbing list and gets a second address; in the book, Paul gets a label:")
        lists = {item["name"]: item["id"] for item in relate.get("/v1/lists", params={"first": 100}).json()["data"]}
        (ada,) = relate.get("/v1/contacts", params={"email": "ada@example.com"}).json()["data"]
        relate.post(f"/v1/lists/{lists['Climbing']}/entries", json={"entryable_id": ada["id"],
                                                                   "entryable_type": "Contact"})
        relate.patch(f"/v1/contacts/{ada['id']}", json={"emails": ["ada@analytical.example"]})
        run("label", "add", "paul@atreid.es", "Book Club")
        run("sync", "rel")
        run("show", "paul@atreid.es")
        run("show", "ada@example.com")
    finally:
        server.terminate()
        server.wait(10)



def relatecrm_tour() -> None:
    """Sync the same book with relatecrm: one POST per contact, PUT as a full update, phone types."""
    import json

    import httpx

    print("\n# A self-hosted CRM: relatecrm (`rolo emulate relatecrm`); its phones are mobile, work or other")
    server = subprocess.Popen([str(ROLO), "emulate", "relatecrm", "--port", "0", "--json"], stdout=subprocess.PIPE,
                              text=True)
    try:
        info = json.loads(server.stdout.readline())  # type: ignore[union-attr]
        os.environ["RELATECRM_TOKEN"] = info["api_key"]
        crm = httpx.Client(base_url=info["url"], headers={"Authorization": f"Bearer {info['api_key']}",
                                                          "Accept": "application/json"})
        crm.post("/api/contacts", json={"first_name": "Katherine", "last_name": "Johnson", "job_title": "Mathematician",
                                        "phones": [{"number": "+1 757 555 0100", "type": "work"}]})
        run("remote", "add", "hq", "--adapter", "relatecrm", "--url", info["url"], "--token-env", "RELATECRM_TOKEN")
        run("sync", "hq")
        print("\n# In the book, Ada gets a home number (relatecrm can only type it 'other') and Katherine a label:")
        run("edit", "ada@example.com", "--add-phone", "home:+44 20 7946 0999")
        run("label", "add", "+1 757 555 0100", "NASA")
        run("sync", "hq")
        (ada,) = crm.get("/api/contacts/search", params={"q": "ada@example.com", "search_fields": "email:="}).json()
        print(f"# relatecrm now has her phones as {json.dumps(ada['phones'])}")
        print("# and someone changes her job title there (a PUT: the whole record is sent again, or it is cleared):")
        body = {k: v for k, v in ada.items() if k not in ("id", "created_at", "updated_at", "activities")}
        crm.put(f"/api/contacts/{ada['id']}", json={**body, "job_title": "Countess of Lovelace"})
        run("sync", "hq")
        print("# the CRM's title is in the book, and the home number is still 'home' there:")
        run("show", "ada@example.com")
        run("edit", "ada@example.com", "--set", "nickname=Enchantress")  # not carried: stays in the book
        run("sync", "hq")
    finally:
        server.terminate()
        server.wait(10)


def relaybook_tour() -> None:
    """Sync the same book with RelayBook: one book chosen by its id, small label vocabularies."""
    import json

    import httpx

    print("\n# A fourth remote: RelayBook (`rolo emulate relaybook`); a key reaches books, a remote syncs one")
    server = subprocess.Popen([str(ROLO), "emulate", "relaybook", "--port", "0", "--json"],
                              stdout=subprocess.PIPE, text=True)
    try:
        info = json.loads(server.stdout.readline())  # type: ignore[union-attr]
        os.environ["RELAYBOOK_KEY"] = info["api_key"]
        run("remote", "add", "rb", "--adapter", "relaybook", "--url", info["url"], "--token-env", "RELAYBOOK_KEY")
        print("# no book chosen yet: `rolo remote test` says which books the key reaches")
        run("remote", "test", "rb", check=False)
        book_id = info["book_id"]  # the emulator's "Contacts" book, the first one listed above
        run("remote", "add", "rb", "--replace", "--adapter", "relaybook", "--url", info["url"], "--token-env",
            "RELAYBOOK_KEY", "--option", f"book={book_id}")
        run("sync", "rb")
        print("\n# Ada's home number can only be 'other' in RelayBook; someone stars her there:")
        rb = httpx.Client(base_url=info["url"], headers={"Authorization": f"Bearer {info['api_key']}",
                                                         "X-Book-ID": book_id})
        people = rb.get("/api/v1/contacts", params={"limit": 200}).json()
        rows = people["data"] if isinstance(people, dict) else people
        ada = next(c for c in rows if any(e.get("address", e.get("email")) == "ada@example.com"
                                          for e in c.get("emails", [])))
        print(f"# RelayBook has her phones as {json.dumps(ada.get('phones'))}")
        rb.patch(f"/api/v1/contacts/{ada['id']}", json={"starred": True})
        run("sync", "rb")
        print("# starred came back; the home number is still 'home' in the book:")
        run("show", "ada@example.com")
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
