// A second, independent strict vCard reader for the test suite: ical.js (Mozilla's, used by Thunderbird).
//
// Started once per test session: reads one JSON-encoded file path per line on stdin and answers each with
// one JSON line {"path", "cards", "error"}: how many vCards ical.js read from the file, or why it refused it.
// Every property's values are materialised (getValues), so a value ical.js cannot read for its type
// (a 3.0 BDAY that is no date) is a refusal too, as it is for a program that shows the card.
//
// Usage: NODE_PATH=.node/node_modules node tests/tools/icaljs_check.cjs
"use strict";

const fs = require("fs");
const readline = require("readline");
const ICAL = require("ical.js");

function check(path) {
  const text = fs.readFileSync(path, "utf8");
  let parsed = ICAL.parse(text);
  // One card parses to one jCard; several to a list of them.
  if (parsed.length && typeof parsed[0] === "string") parsed = [parsed];
  for (const jcard of parsed) {
    const card = new ICAL.Component(jcard);
    if (card.name !== "vcard") throw new Error(`a ${card.name} component, not a vcard`);
    for (const prop of card.getAllProperties()) prop.getValues().forEach((value) => String(value));
  }
  return parsed.length;
}

const lines = readline.createInterface({ input: process.stdin, terminal: false });
lines.on("line", (line) => {
  if (!line.trim()) return;
  const path = JSON.parse(line);
  let answer;
  try {
    answer = { path, cards: check(path), error: null };
  } catch (err) {
    answer = { path, cards: 0, error: `${err.name}: ${err.message}` };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
});
