// The Chat controller against a scripted stand-in for @xmpp/client: what it
// sends for each step of PROTOCOL 3-5 and how it reads the answers.
import { test, afterEach } from "node:test";
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { xml } from "@xmpp/client";
import { Chat } from "../../src/chat.js";
import { NS } from "../../src/stanzas.js";

const MUC_USER = "http://jabber.org/protocol/muc#user";

class FakeClient extends EventEmitter {
  constructor(answers) {
    super();
    this.sent = [];
    this.answers = answers; // IQ child name -> function(el) returning a result element
    this.stopped = false;
    this.iqCaller = { request: async (el) => {
      this.sent.push(el);
      const child = el.getChildElements()[0];
      const f = this.answers[child.name];
      if (!f) throw Object.assign(new Error("service-unavailable"), { condition: "service-unavailable" });
      return f(child);
    } };
    this.reconnect = { stop() {} };
  }
  async start() { this.emit("online", "v@guest/r"); }
  async stop() { this.stopped = true; }
  async send(el) { this.sent.push(el); }
  last(name) { return [...this.sent].reverse().find((e) => e.name === name); }
}

function jar(token = "") {
  return { token, saved: [], save(t) { this.saved.push(t); this.token = t; } };
}

const config = { websocket: "ws://x/ws", domain: "guest.x", service: "chat.x", queue: "", lang: "en" };
const sessionResult = (attrs) => xml("iq", { type: "result" }, xml("session", { xmlns: NS, ...attrs }));
const resumable = (attrs) => xml("iq", { type: "result" }, xml("resumable", { xmlns: NS }, xml("session", attrs)));
const empty = () => xml("iq", { type: "result" });
const subject = (room) => xml("message", { from: room, type: "groupchat" }, xml("subject", {}, "Chat with Ann"));
const selfPresence = (room, nick) => xml("presence", { from: `${room}/${nick}` },
  xml("x", { xmlns: MUC_USER }, xml("item", { role: "participant" }), xml("status", { code: "110" })));

// Every Chat a test made is closed after it, so no resend timer of an
// unreflected line keeps the process alive.
const made = [];
afterEach(() => {
  for (const c of made.splice(0)) c.pagehide();
});

function setup(answers, j = jar(), beacon = null) {
  let fake;
  const changes = [];
  const events = {}; // kind -> data emitted
  const chat = new Chat({ config, jar: j, beacon, makeClient: () => (fake = new FakeClient(answers)), onChange: (k, d) => {
    changes.push(k);
    (events[k] ||= []).push(d);
  } });
  made.push(chat);
  return { chat, changes, events, fake: () => fake, j };
}

// requests are the <request/> elements sent, in order.
const requests = (x) => x.sent.filter((e) => e.name === "iq" && e.getChild("request", NS)).map((e) => e.getChild("request", NS));

test("form → session → join → chat → message both ways → suspend", async () => {
  const { chat, fake, j } = setup({
    request: () => sessionResult({ id: "s1", room: "s1@chat.x", state: "queued", token: "TOKEN1234567890123456" }),
    suspend: () => xml("iq", { type: "result" }),
  });
  await chat.opened(); // no token: no probe, no connection
  assert.equal(fake(), undefined);
  assert.equal(chat.phase, "form");
  await chat.start({ name: "Ann", email: "a@x", question: "Hello" });
  const x = fake();
  const req = x.sent[0].getChild("request", NS);
  assert.equal(req.attrs.token, undefined);
  assert.equal(req.attrs.probe, undefined);
  assert.equal(req.getChild("visitor").attrs.name, "Ann");
  assert.equal(req.getChildText("body"), "Hello");
  assert.equal(chat.phase, "joining");
  assert.deepEqual(j.saved, ["TOKEN1234567890123456"]);
  assert.equal(x.last("presence").attrs.to, "s1@chat.x/Ann");

  x.emit("stanza", selfPresence("s1@chat.x", "Ann"));
  assert.equal(chat.phase, "chat");
  x.emit("stanza", xml("message", { from: "s1@chat.x", type: "groupchat" }, xml("body", {}, "Alice has joined"),
    xml("event", { xmlns: NS, type: "assigned", agent: "Alice", state: "active" })));
  assert.equal(chat.agent, "Alice");
  assert.equal(chat.session.state, "active");
  x.emit("stanza", xml("message", { from: "s1@chat.x/Alice", type: "groupchat" }, xml("composing", { xmlns: "http://jabber.org/protocol/chatstates" })));
  assert.deepEqual([...chat.typing], ["Alice"]);
  x.emit("stanza", xml("message", { from: "s1@chat.x/Alice", type: "groupchat" }, xml("body", {}, "Hi Ann")));
  assert.deepEqual([...chat.typing], []);
  assert.equal(chat.lines.at(-1).body, "Hi Ann");
  assert.equal(chat.lines.at(-1).mine, false);

  assert.equal(chat.sendMessage("  Thanks  "), true);
  const m = x.last("message");
  assert.equal(m.getChildText("body"), "Thanks");
  const line = chat.lines.at(-1);
  assert.equal(line.status, "sending");
  x.emit("stanza", xml("message", { from: "s1@chat.x/Ann", type: "groupchat", id: m.attrs.id }, xml("body", {}, "Thanks"),
    xml("stanza-id", { xmlns: "urn:xmpp:sid:0", by: "s1@chat.x", id: "9" })));
  assert.equal(line.status, "sent");
  assert.equal(chat.lines.length, 3); // the event, the agent's line, ours

  await chat.suspend();
  const iq = x.sent.find((e) => e.name === "iq" && e.getChild("suspend", NS));
  assert.equal(iq.attrs.to, "s1@chat.x");
  const p = x.last("presence");
  assert.equal(p.attrs.type, "unavailable");
  assert.ok(p.getChild("suspend", NS));
  x.emit("stanza", xml("presence", { from: "s1@chat.x/Ann", type: "unavailable" }, xml("x", { xmlns: MUC_USER }, xml("status", { code: "110" }))));
  assert.equal(chat.phase, "left");
});

// The service as docs/protocol.md has it for a token with session s2 in
// progress: the probe and a plain request answer <resumable/>, new='true'
// starts s3, a reconnect answers the session with nick and reconnected.
const inProgress = (log = []) => ({
  request: (r) => {
    log.push(r.attrs.probe === "true" ? "probe" : r.attrs.new === "true" ? "new" : "request");
    if (r.attrs.new === "true") return sessionResult({ id: "s3", room: "s3@chat.x", state: "queued", token: "TOK", nick: r.getChild("visitor")?.attrs.name });
    return resumable({ id: "s2", room: "s2@chat.x", state: "suspended", started: "2026-01-01T10:00:00Z", nick: "Ann Lee" });
  },
  reconnect: (r) => sessionResult({ id: r.attrs.session, room: `${r.attrs.session}@chat.x`, state: "suspended", token: r.attrs.token, nick: "Ann Lee", reconnected: "true" }),
});

test("a token with a chat in progress: the probe, then the prompt before the form; No shows the form, whose request has new=true", async () => {
  const log = [];
  const { chat, fake, events } = setup(inProgress(log), jar("TOK"));
  const opening = chat.opened();
  assert.equal(chat.phase, "connecting");
  await opening;
  await chat.opened(); // once per page
  assert.deepEqual(log, ["probe"]);
  const probe = requests(fake())[0];
  assert.deepEqual(probe.attrs, { xmlns: NS, token: "TOK", probe: "true" });
  assert.equal(probe.getChildElements().length, 0);
  assert.equal(chat.phase, "prompt");
  assert.equal(chat.offered.id, "s2");
  assert.equal(events.phase.includes("form"), false);

  await chat.answer(false);
  assert.equal(chat.phase, "form");
  assert.deepEqual(events.name, ["Ann Lee"]); // the form is filled in with it
  assert.deepEqual(log, ["probe"]); // No alone asks nothing
  await chat.start({ name: "Ann", question: "a new matter" });
  assert.deepEqual(log, ["probe", "new"]);
  const req = requests(fake()).at(-1);
  assert.equal(req.attrs.token, "TOK");
  assert.equal(req.getChildText("body"), "a new matter");
  assert.equal(chat.session.id, "s3");
  assert.equal(fake().last("presence").attrs.to, "s3@chat.x/Ann");
  // A later chat from this page (Start a new chat) asks plainly again.
  chat.newChat();
  await chat.start({ name: "Ann", question: "third" });
  assert.deepEqual(log, ["probe", "new", "request"]);
  assert.equal(chat.phase, "prompt");
});

test("Yes before the form reconnects under the name of that chat, with no cookie for it", async () => {
  const log = [];
  const { chat, fake, events, j } = setup(inProgress(log), jar("TOK"));
  await chat.opened();
  await chat.answer(true);
  const rc = fake().sent.find((e) => e.getChild?.("reconnect", NS));
  assert.deepEqual(rc.getChild("reconnect", NS).attrs, { xmlns: NS, session: "s2", token: "TOK" });
  assert.deepEqual(log, ["probe"]);
  assert.equal(chat.session.id, "s2");
  assert.equal(chat.phase, "joining");
  assert.equal(fake().last("presence").attrs.to, "s2@chat.x/Ann Lee");
  assert.deepEqual(j.saved, ["TOK"]);
  assert.equal(events.draft, undefined);
  fake().emit("stanza", selfPresence("s2@chat.x", "Ann Lee"));
  fake().emit("stanza", subject("s2@chat.x"));
  assert.equal(chat.phase, "chat");
  assert.equal(fake().last("message"), undefined); // nothing sent for the visitor
});

test("no chat in progress: the probe's empty answer shows the form; its request is plain", async () => {
  const log = [];
  const { chat, fake } = setup({
    request: (r) => {
      log.push(r.attrs.probe === "true" ? "probe" : r.attrs.new === "true" ? "new" : "request");
      return r.attrs.probe === "true" ? empty() : sessionResult({ id: "s4", room: "s4@chat.x", state: "queued", token: "TOK", nick: "Ann" });
    },
  }, jar("TOK"));
  await chat.opened();
  assert.equal(chat.phase, "form");
  assert.equal(chat.offered, null);
  await chat.start({ name: "Ann", question: "hello" });
  assert.deepEqual(log, ["probe", "request"]);
  assert.equal(chat.session.id, "s4");
  assert.equal(fake().last("presence").attrs.to, "s4@chat.x/Ann");
});

test("a probe without an answer shows the form; Try again after a failed Yes probes again", async () => {
  const refused = setup({ request: () => { throw Object.assign(new Error("x"), { condition: "internal-server-error" }); } }, jar("TOK"));
  await refused.chat.opened();
  assert.equal(refused.chat.phase, "form");

  let up = false;
  let n = 0;
  const j = jar("TOK");
  const chat = new Chat({ config, jar: j, makeClient: () => {
    const c = new FakeClient(inProgress());
    n++;
    if (!up) c.start = async () => { throw new Error("WebSocket closed"); };
    return c;
  } });
  await chat.opened();
  assert.equal(chat.phase, "form"); // unreachable: the form (its request will tell)
  up = true;
  chat.probed = false;
  await chat.opened();
  assert.equal(chat.phase, "prompt");
  up = false;
  chat.client.connected = false;
  chat.connected = false;
  await chat.answer(true);
  assert.equal(chat.phase, "error");
  up = true;
  await chat.retry();
  assert.equal(chat.phase, "prompt");
  assert.equal(n, 4);
});

test("Yes to a chat that is gone by then: the form, not a session without a name", async () => {
  const log = [];
  const answers = inProgress(log);
  answers.reconnect = () => { throw Object.assign(new Error("x"), { condition: "item-not-found" }); };
  const { chat } = setup(answers, jar("TOK"));
  await chat.opened();
  await chat.answer(true);
  assert.equal(chat.phase, "form");
  assert.deepEqual(log, ["probe"]);
});

test("a chat started meanwhile: the prompt after the form; Yes keeps the question in the composer", async () => {
  let live = false;
  const log = [];
  const answers = inProgress(log);
  const inner = answers.request;
  answers.request = (r) => (r.attrs.probe === "true" && !live ? (log.push("probe"), empty()) : inner(r));
  const { chat, fake, events } = setup(answers, jar("TOK"));
  await chat.opened();
  assert.equal(chat.phase, "form");
  live = true; // another window of this visitor starts a chat
  await chat.start({ name: "Ann", question: "again" });
  assert.equal(chat.phase, "prompt");
  await chat.answer(true);
  assert.deepEqual(log, ["probe", "request"]);
  assert.equal(chat.session.id, "s2");
  assert.deepEqual(events.draft, ["again"]);
  fake().emit("stanza", selfPresence("s2@chat.x", "Ann Lee"));
  fake().emit("stanza", subject("s2@chat.x"));
  assert.equal(fake().last("message"), undefined); // the draft is not sent by itself

  // No after the form starts the new chat at once, with the form's details.
  const no = setup(inProgress(), jar("TOK"));
  await no.chat.start({ name: "Ann", question: "again" });
  await no.chat.answer(false);
  assert.equal(no.chat.session.id, "s3");
  assert.equal(requests(no.fake()).at(-1).getChildText("body"), "again");
});

test("a request answered with a reconnect (reconnect=always): the form's question is the first message, after the transcript", async () => {
  const { chat, fake } = setup({
    request: (r) => r.attrs.probe === "true" ? empty()
      : sessionResult({ id: "s2", room: "s2@chat.x", state: "active", token: "TOK", nick: "Ann Lee", reconnected: "true" }),
  }, jar("TOK"));
  await chat.opened();
  await chat.start({ name: "Ann", question: "Is my parcel there yet?" });
  const x = fake();
  assert.equal(chat.session.id, "s2");
  assert.equal(x.last("presence").attrs.to, "s2@chat.x/Ann Lee"); // the name of that chat
  x.emit("stanza", selfPresence("s2@chat.x", "Ann Lee"));
  x.emit("stanza", xml("message", { from: "s2@chat.x/Alice", type: "groupchat" }, xml("body", {}, "Earlier answer"),
    xml("delay", { xmlns: "urn:xmpp:delay", stamp: "2026-01-01T10:00:00Z" }), xml("stanza-id", { xmlns: "urn:xmpp:sid:0", by: "s2@chat.x", id: "3" })));
  assert.equal(x.last("message"), undefined); // not before the history
  x.emit("stanza", subject("s2@chat.x"));
  const m = x.last("message");
  assert.equal(m.attrs.to, "s2@chat.x");
  assert.equal(m.getChildText("body"), "Is my parcel there yet?");
  assert.deepEqual(chat.lines.map((l) => l.body), ["Earlier answer", "Is my parcel there yet?"]);
  x.emit("stanza", subject("s2@chat.x")); // a later join replay sends nothing again
  assert.equal(x.sent.filter((e) => e.name === "message").length, 1);
});

test("a closed or expired room ends the chat; a reconnect that replaces says so", async () => {
  const { chat, fake } = setup({
    request: () => sessionResult({ id: "s1", room: "s1@chat.x", state: "queued", token: "T" }),
    reconnect: () => sessionResult({ id: "s9", room: "s9@chat.x", state: "queued", token: "T", replaces: "s1" }),
  });
  await chat.start({ name: "Ann" });
  const x = fake();
  x.emit("stanza", selfPresence("s1@chat.x", "Ann"));
  x.emit("stanza", xml("presence", { from: "s1@chat.x/Ann", type: "unavailable" },
    xml("x", { xmlns: MUC_USER }, xml("destroy", {}, xml("reason", {}, "expired")), xml("status", { code: "110" }))));
  assert.equal(chat.phase, "ended");
  await chat.returnToChat();
  assert.equal(chat.session.id, "s9");
  assert.equal(chat.lines[0].key, "replaced");
});

test("pagehide suspends the session and closes the connection, once", async () => {
  const { chat, fake } = setup({ request: () => sessionResult({ id: "s1", room: "s1@chat.x", state: "queued", token: "T" }) });
  await chat.start({ name: "Ann" });
  const x = fake();
  x.emit("stanza", selfPresence("s1@chat.x", "Ann"));
  chat.pagehide();
  chat.pagehide();
  const suspends = x.sent.filter((e) => e.name === "presence" && e.getChild("suspend", NS));
  assert.equal(suspends.length, 1);
  assert.equal(x.stopped, true);
});

test("pagehide sends the suspend beacon too, with the session, its token and this page's JID", async () => {
  const beacons = [];
  const { chat, fake } = setup({ request: () => sessionResult({ id: "s1", room: "s1@chat.x", state: "queued", token: "T" }) }, jar(), (f) => beacons.push(f));
  await chat.start({ name: "Ann" });
  fake().emit("stanza", selfPresence("s1@chat.x", "Ann"));
  chat.pagehide();
  chat.pagehide();
  assert.deepEqual(beacons, [{ session: "s1", token: "T", jid: "v@guest/r" }]);
});

test("pagehide without a session in progress sends no beacon", async () => {
  const beacons = [];
  const { chat } = setup({}, jar(), (f) => beacons.push(f));
  chat.pagehide();
  assert.deepEqual(beacons, []);
});

test("a refused request goes back to the form with the reason", async () => {
  const { chat } = setup({ request: () => { throw Object.assign(new Error("x"), { condition: "resource-constraint", text: "the default queue is full" }); } });
  await chat.start({ name: "Ann" });
  assert.equal(chat.phase, "form");
  assert.equal(chat.error, "the default queue is full");
});
