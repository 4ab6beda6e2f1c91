// The Chat controller against a scripted stand-in for @xmpp/client: what it
// sends for each step of PROTOCOL 3-5 and how it reads the answers.
import { test } from "node:test";
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
const selfPresence = (room, nick) => xml("presence", { from: `${room}/${nick}` },
  xml("x", { xmlns: MUC_USER }, xml("item", { role: "participant" }), xml("status", { code: "110" })));

function setup(answers, j = jar()) {
  let fake;
  const changes = [];
  const chat = new Chat({ config, jar: j, makeClient: () => (fake = new FakeClient(answers)), onChange: (k) => changes.push(k) });
  return { chat, changes, fake: () => fake, j };
}

test("form → session → join → chat → message both ways → suspend", async () => {
  const { chat, fake, j } = setup({
    request: () => sessionResult({ id: "s1", room: "s1@chat.x", state: "queued", token: "TOKEN1234567890123456" }),
    suspend: () => xml("iq", { type: "result" }),
  });
  await chat.start({ name: "Ann", email: "a@x", question: "Hello" });
  const x = fake();
  const req = x.sent[0].getChild("request", NS);
  assert.equal(req.attrs.token, undefined);
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

test("a token with a chat in progress: prompt; No asks again with new=true; Yes reconnects under the name of that chat", async () => {
  const answers = {
    request: (r) => r.attrs.new === "true"
      ? sessionResult({ id: "s3", room: "s3@chat.x", state: "queued", token: "TOK" })
      : xml("iq", { type: "result" }, xml("resumable", { xmlns: NS }, xml("session", { id: "s2", room: "s2@chat.x", state: "suspended" }))),
    reconnect: (r) => sessionResult({ id: r.attrs.session, room: `${r.attrs.session}@chat.x`, state: "suspended", token: r.attrs.token, nick: "Ann Lee" }),
  };
  const no = setup(answers, jar("TOK"));
  await no.chat.start({ name: "Ann", question: "again" });
  assert.equal(no.chat.phase, "prompt");
  assert.equal(no.fake().sent[0].getChild("request", NS).attrs.token, "TOK");
  await no.chat.answer(false);
  assert.equal(no.fake().sent.find((e) => e.name === "iq" && e.getChild("request", NS)?.attrs.new === "true") !== undefined, true);
  assert.equal(no.chat.session.id, "s3");

  const yes = setup(answers, jar("TOK"));
  const drafts = [];
  yes.chat.onChange = (k, d) => k === "draft" && drafts.push(d);
  await yes.chat.start({ name: "Ann", question: "again" });
  await yes.chat.answer(true);
  const rc = yes.fake().sent.find((e) => e.getChild?.("reconnect", NS));
  assert.deepEqual(rc.getChild("reconnect", NS).attrs, { xmlns: NS, session: "s2", token: "TOK" });
  assert.equal(yes.chat.session.id, "s2");
  assert.equal(yes.fake().last("presence").attrs.to, "s2@chat.x/Ann Lee");
  assert.deepEqual(yes.j.saved, ["TOK"]);
  assert.deepEqual(drafts, ["again"]);
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

test("a refused request goes back to the form with the reason", async () => {
  const { chat } = setup({ request: () => { throw Object.assign(new Error("x"), { condition: "resource-constraint", text: "the default queue is full" }); } });
  await chat.start({ name: "Ann" });
  assert.equal(chat.phase, "form");
  assert.equal(chat.error, "the default queue is full");
});
