// Unit tests of the widget's pure parts: strings, configuration, cookies,
// links, events and the protocol's stanzas. Run with `npm test`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { xml } from "@xmpp/client";
import { STRINGS, translator } from "../../src/strings.js";
import { readConfig, beaconURL } from "../../src/config.js";
import { serializeCookie, parseCookies, CookieJar } from "../../src/cookie.js";
import { linkify, safeURL } from "../../src/linkify.js";
import { eventText, statusText } from "../../src/events.js";
import { requestIQ, probeIQ, reconnectIQ, suspendPresence, joinPresence, closeIQ, chatState, parseRequestResult, classify, NS } from "../../src/stanzas.js";
import { nickFor } from "../../src/chat.js";

test("every language has every English string, with the same placeholders", () => {
  const ph = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort().join(",");
  for (const [lang, table] of Object.entries(STRINGS)) {
    for (const [k, v] of Object.entries(STRINGS.en)) {
      assert.ok(k in table, `${lang} lacks ${k}`);
      assert.equal(ph(table[k]), ph(v), `${lang}.${k} placeholders`);
    }
    for (const k of Object.keys(table)) assert.ok(k in STRINGS.en, `${lang} has unknown ${k}`);
  }
});

test("translator: language, region fallback, overrides, placeholders", () => {
  assert.equal(translator("fr-CA")("yes"), "Oui");
  assert.equal(translator("xx")("yes"), "Yes");
  assert.equal(translator("en", { yes: "Sure" })("yes"), "Sure");
  assert.equal(translator("en")("statusPosition", { position: 3 }), "Waiting for an agent: you are number 3 in the queue.");
  assert.equal(translator("en")("typing", {}), "{who} is typing…");
});

test("readConfig takes the data attributes and reports what is missing", () => {
  const ok = readConfig({ websocket: "wss://x/ws", domain: "guest.x", service: "chat.x", queue: "sales", cookieDays: "7", strings: '{"yes":"Ja","n":1}', lang: "de" });
  assert.deepEqual(ok.errors, []);
  assert.equal(ok.config.cookieDays, 7);
  assert.equal(ok.config.queue, "sales");
  assert.deepEqual(ok.config.strings, { yes: "Ja" });
  assert.equal(ok.config.lang, "de");
  const bad = readConfig({ websocket: "http://x", strings: "{", cookieDays: "-2" }, "fr");
  assert.equal(bad.errors.length, 5);
  assert.equal(bad.config.lang, "fr");
  assert.equal(bad.config.cookieDays, 30);
});

test("the suspend beacon goes to /beacon on the script's origin unless data-beacon says otherwise", () => {
  assert.equal(beaconURL("", "https://chat.example.com/static/widget-abc.js"), "https://chat.example.com/beacon");
  assert.equal(beaconURL("https://shop.example/parley/beacon", "https://chat.example.com/widget.js"), "https://shop.example/parley/beacon");
  assert.equal(beaconURL("off", "https://chat.example.com/widget.js"), null);
  assert.equal(beaconURL("", ""), null);
  const base = { websocket: "wss://x/ws", domain: "guest.x", service: "chat.x" };
  assert.deepEqual(readConfig({ ...base, beacon: "off" }).errors, []);
  assert.ok(readConfig({ ...base, beacon: "javascript:alert(1)" }).errors.some((e) => e.includes("data-beacon")));
});

test("cookies are Lax, first-party, with the lifetime asked for", () => {
  assert.equal(serializeCookie("t", "a b", { days: 30 }), "t=a%20b; Path=/; SameSite=Lax; Max-Age=2592000");
  assert.equal(serializeCookie("t", "v", { days: 0, secure: true }), "t=v; Path=/; SameSite=Lax; Secure");
  assert.equal(serializeCookie("t", "", { days: -1 }), "t=; Path=/; SameSite=Lax; Max-Age=0");
  assert.deepEqual(parseCookies("a=1; b=x%20y; a=2; bad; c=%E0"), { a: "1", b: "x y", c: "%E0" });
});

test("CookieJar keeps the token only, removes an old name cookie, and keeps nothing when cookies are refused", () => {
  const doc = { jar: {}, get cookie() { return Object.entries(this.jar).map(([k, v]) => `${k}=${v}`).join("; "); },
    set cookie(s) { const [kv] = s.split(";"); const [k, v] = kv.split("="); if (s.includes("Max-Age=0")) delete this.jar[k]; else this.jar[k] = v; } };
  const jar = new CookieJar(doc, { name: "pt", days: 1 });
  assert.equal(jar.enabled, true);
  doc.jar.pt_nick = "Ann%20Lee"; // left by an earlier version of the widget
  jar.save("TOKEN");
  assert.equal(jar.token, "TOKEN");
  assert.deepEqual(Object.keys(doc.jar), ["pt"]);
  jar.save("");
  assert.equal(jar.token, "TOKEN");
  assert.equal(doc.jar.parley_probe, undefined);
  const refusing = { get cookie() { return ""; }, set cookie(_) {} };
  const none = new CookieJar(refusing);
  assert.equal(none.enabled, false);
  none.save("T", "N");
  assert.equal(none.token, "");
});

test("linkify finds http(s) links only and keeps the rest as text", () => {
  assert.deepEqual(linkify("see https://a.example/x?y=1. ok"), [
    { text: "see " }, { text: "https://a.example/x?y=1", href: "https://a.example/x?y=1" }, { text: ". ok" }]);
  assert.deepEqual(linkify("(https://a.example/wiki/A_(b))"), [
    { text: "(" }, { text: "https://a.example/wiki/A_(b)", href: "https://a.example/wiki/A_(b)" }, { text: ")" }]);
  assert.deepEqual(linkify("javascript:alert(1) <b>"), [{ text: "javascript:alert(1) <b>" }]);
  assert.equal(safeURL("javascript:alert(1)"), "");
  assert.equal(safeURL("data:text/html,x"), "");
  assert.equal(safeURL("https://x.example/a b"), "https://x.example/a%20b");
});

test("events and status read in the widget's own words", () => {
  const t = translator("en");
  assert.equal(eventText(t, { type: "queued", position: 2 }), "You are number 2 in the queue.");
  assert.equal(eventText(t, { type: "suspended", by: "agent", cause: "Investigation" }), "The agent suspended the chat (Investigation).");
  assert.equal(eventText(t, { type: "suspended", by: "visitor" }), "You suspended the chat.");
  assert.equal(eventText(t, { type: "closed", by: "agent" }), "The agent ended the chat.");
  assert.equal(eventText(t, { type: "something-new" }, "Body from the service"), "Body from the service");
  assert.equal(statusText(t, { phase: "chat", state: "active", agent: "Alice" }), "You are chatting with Alice.");
  assert.equal(statusText(t, { phase: "chat", state: "queued", position: 0 }), "Waiting for an agent…");
  assert.equal(statusText(t, { phase: "form" }), "");
});

test("stanzas the widget sends", () => {
  const r = requestIQ("chat.x", { queue: "sales", token: "TOK", isNew: true, visitor: { name: "Ann", email: "", page: "https://s/" }, body: "Hi" });
  assert.equal(r.toString(),
    `<iq type="set" to="chat.x"><request xmlns="${NS}" queue="sales" token="TOK" new="true"><visitor name="Ann" page="https://s/"/><body>Hi</body></request></iq>`);
  assert.equal(requestIQ("chat.x", { visitor: {} }).toString(), `<iq type="set" to="chat.x"><request xmlns="${NS}"><visitor/></request></iq>`);
  assert.equal(probeIQ("chat.x", "TOK").toString(), `<iq type="set" to="chat.x"><request xmlns="${NS}" token="TOK" probe="true"/></iq>`);
  assert.equal(reconnectIQ("chat.x", "sid", "tok").toString(), `<iq type="set" to="chat.x"><reconnect xmlns="${NS}" session="sid" token="tok"/></iq>`);
  assert.equal(joinPresence("r@c", "Ann").toString(), `<presence to="r@c/Ann"><x xmlns="http://jabber.org/protocol/muc"/></presence>`);
  assert.equal(suspendPresence("r@c", "Ann").toString(), `<presence to="r@c/Ann" type="unavailable"><suspend xmlns="${NS}"/></presence>`);
  assert.equal(closeIQ("r@c").toString(), `<iq type="set" to="r@c"><close xmlns="${NS}"/></iq>`);
  assert.equal(chatState("r@c", "composing").toString(), `<message type="groupchat" to="r@c"><composing xmlns="http://jabber.org/protocol/chatstates"/></message>`);
});

test("results and room stanzas the widget reads", () => {
  const s = parseRequestResult(xml("iq", { type: "result" }, xml("session", { xmlns: NS, id: "s1", room: "s1@c", state: "queued", token: "T" })));
  assert.equal(s.kind, "session");
  assert.equal(s.session.token, "T");
  assert.equal(s.session.nick, "");
  assert.equal(s.session.reconnected, false);
  const back = parseRequestResult(xml("iq", { type: "result" }, xml("session", { xmlns: NS, id: "s1", room: "s1@c", state: "active", token: "T", nick: "Ann Lee", reconnected: "true" })));
  assert.deepEqual([back.session.nick, back.session.reconnected], ["Ann Lee", true]);
  const r = parseRequestResult(xml("iq", { type: "result" }, xml("resumable", { xmlns: NS }, xml("session", { id: "s2", room: "s2@c", state: "suspended", "suspended-by": "visitor", started: "2026-01-01T10:00:00Z", nick: "Ann" }))));
  assert.equal(r.kind, "resumable");
  assert.equal(r.session.suspendedBy, "visitor");
  assert.equal(r.session.nick, "Ann");
  assert.equal(parseRequestResult(xml("iq", { type: "result" })), null); // a probe's "nothing in progress"

  const ev = classify(xml("message", { from: "s1@c", type: "groupchat" }, xml("body", {}, "You are number 2 in the queue"),
    xml("event", { xmlns: NS, type: "queued", position: "2", state: "queued" }), xml("stanza-id", { xmlns: "urn:xmpp:sid:0", by: "s1@c", id: "7" })), "s1@c");
  assert.equal(ev.kind, "event");
  assert.equal(ev.event.position, 2);
  assert.equal(ev.sid, "7");
  // From the service's nick (what agents' clients need): still an event.
  const fromNick = classify(xml("message", { from: "s1@c/Parley", type: "groupchat" }, xml("body", {}, "Chat suspended by the agent"),
    xml("event", { xmlns: NS, type: "suspended", by: "agent", state: "suspended" })), "s1@c");
  assert.equal(fromNick.kind, "event");
  assert.equal(fromNick.event.type, "suspended");
  assert.equal(classify(xml("message", { from: "other@c", type: "groupchat" }, xml("body", {}, "x")), "s1@c"), null);

  const link = classify(xml("message", { from: "s1@c/Alice", type: "groupchat" }, xml("body", {}, "file"),
    xml("x", { xmlns: "jabber:x:oob" }, xml("url", {}, "https://f/x.pdf"), xml("desc", {}, "X")), xml("delay", { xmlns: "urn:xmpp:delay", stamp: "2026-01-01T10:00:00Z" })), "s1@c");
  assert.deepEqual([link.kind, link.nick, link.links, link.history], ["message", "Alice", [{ url: "https://f/x.pdf", desc: "X" }], true]);

  const typing = classify(xml("message", { from: "s1@c/Alice", type: "groupchat" }, xml("composing", { xmlns: "http://jabber.org/protocol/chatstates" })), "s1@c");
  assert.deepEqual([typing.kind, typing.state], ["chatstate", "composing"]);

  const self = classify(xml("presence", { from: "s1@c/Ann" }, xml("x", { xmlns: "http://jabber.org/protocol/muc#user" }, xml("item", { role: "participant" }), xml("status", { code: "110" }))), "s1@c");
  assert.deepEqual([self.kind, self.self], ["available", true]);
  const gone = classify(xml("presence", { from: "s1@c/Ann", type: "unavailable" }, xml("x", { xmlns: "http://jabber.org/protocol/muc#user" },
    xml("destroy", {}, xml("reason", {}, "closed")), xml("status", { code: "110" }))), "s1@c");
  assert.deepEqual([gone.kind, gone.self, gone.destroyed, gone.reason], ["unavailable", true, true, "closed"]);
  const err = classify(xml("presence", { from: "s1@c/Ann", type: "error" }, xml("error", { type: "cancel" },
    xml("conflict", { xmlns: "urn:ietf:params:xml:ns:xmpp-stanzas" }))), "s1@c");
  assert.deepEqual([err.kind, err.condition], ["join-error", "conflict"]);
});

test("nicks are clean resourceparts", () => {
  assert.equal(nickFor("  Ann  "), "Ann");
  assert.equal(nickFor(""), "Visitor");
  assert.equal(nickFor("a\u0000b\nc"), "abc");
  assert.equal(nickFor("x".repeat(100)).length, 48);
});
