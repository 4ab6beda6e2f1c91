// XEP-0410 self-ping (docs/protocol.md, The widget's self-ping): after
// config.selfPing seconds without a word from the room the widget pings its
// own occupant JID; not-acceptable (not in the room: a restarted or newly
// active parleyd has no occupants) makes it join again; a result, another
// error or a room that keeps talking changes nothing.
import { test, mock } from "node:test";
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { xml } from "@xmpp/client";
import { Chat } from "../../src/chat.js";
import { NS } from "../../src/stanzas.js";
import { readConfig } from "../../src/config.js";

const MUC_USER = "http://jabber.org/protocol/muc#user";

class FakeClient extends EventEmitter {
  constructor(answers) {
    super();
    this.sent = [];
    this.answers = answers;
    this.iqCaller = { request: async (el) => {
      this.sent.push(el);
      const child = el.getChildElements()[0];
      const f = this.answers[child.name];
      if (!f) throw Object.assign(new Error("service-unavailable"), { condition: "service-unavailable" });
      return f(child, el);
    } };
    this.reconnect = { stop() {} };
  }
  async start() { this.emit("online", "v@guest/r"); }
  async stop() {}
  async send(el) { this.sent.push(el); }
  pings() { return this.sent.filter((e) => e.name === "iq" && e.getChild("ping", "urn:xmpp:ping")); }
  joins() { return this.sent.filter((e) => e.name === "presence" && e.getChild("x", "http://jabber.org/protocol/muc")); }
}

const jar = () => ({ token: "", save(t) { this.token = t; } });
const sessionResult = (attrs) => xml("iq", { type: "result" }, xml("session", { xmlns: NS, ...attrs }));
const subject = (room) => xml("message", { from: room, type: "groupchat" }, xml("subject", {}, "Chat with Ann"));
const selfPresence = (room, nick) => xml("presence", { from: `${room}/${nick}` },
  xml("x", { xmlns: MUC_USER }, xml("item", { role: "participant" }), xml("status", { code: "110" })));
const notAcceptable = () => Object.assign(new Error("not-acceptable"), { condition: "not-acceptable" });

async function inChat(ping, selfPing = 30) {
  let fake;
  const config = { websocket: "ws://x/ws", domain: "guest.x", service: "chat.x", queue: "", lang: "en", selfPing };
  const chat = new Chat({ config, jar: jar(), makeClient: () => (fake = new FakeClient({
    request: () => sessionResult({ id: "s1", room: "s1@chat.x", state: "active", token: "TOKEN1234567890123456", nick: "Ann" }),
    ping,
  })) });
  await chat.start({ name: "Ann" });
  fake.emit("stanza", selfPresence("s1@chat.x", "Ann"));
  fake.emit("stanza", subject("s1@chat.x"));
  assert.equal(chat.phase, "chat");
  return { chat, x: fake };
}

const flush = () => new Promise((r) => setImmediate(r));

test("a quiet room gets a self-ping to the visitor's own occupant JID; not-acceptable rejoins", async () => {
  mock.timers.enable({ apis: ["setTimeout", "Date"] });
  try {
    let answer = () => xml("iq", { type: "result" });
    const { chat, x } = await inChat((child, el) => answer(child, el));
    const joinsBefore = x.joins().length;
    mock.timers.tick(29_000);
    assert.equal(x.pings().length, 0, "pinged before 30 s of silence");
    mock.timers.tick(1_000);
    await flush();
    assert.equal(x.pings().length, 1);
    assert.equal(x.pings()[0].attrs.to, "s1@chat.x/Ann");
    assert.equal(x.pings()[0].attrs.type, "get");
    assert.equal(x.joins().length, joinsBefore, "a result must not rejoin");
    // The service lost its occupants (takeover): the next ping says so.
    answer = () => { throw notAcceptable(); };
    mock.timers.tick(30_000);
    await flush();
    await flush();
    assert.equal(x.pings().length, 2);
    assert.equal(x.joins().length, joinsBefore + 1, "not-acceptable must rejoin");
    assert.equal(x.joins().at(-1).attrs.to, "s1@chat.x/Ann");
    assert.equal(chat.phase, "chat");
  } finally {
    mock.timers.reset();
  }
});

test("no self-ping while the room talks; other errors do not rejoin; selfPing 0 turns it off", async () => {
  mock.timers.enable({ apis: ["setTimeout", "Date"] });
  try {
    const { x } = await inChat(() => { throw Object.assign(new Error("x"), { condition: "service-unavailable" }); });
    for (let i = 0; i < 10; i++) {
      mock.timers.tick(10_000);
      x.emit("stanza", xml("message", { from: "s1@chat.x/Alice", type: "groupchat" }, xml("body", {}, `line ${i}`)));
    }
    await flush();
    assert.equal(x.pings().length, 0, "pinged a room that kept talking");
    const joins = x.joins().length;
    mock.timers.tick(31_000);
    await flush();
    await flush();
    assert.equal(x.pings().length, 1);
    assert.equal(x.joins().length, joins, "service-unavailable must not rejoin");

    const off = await inChat(() => xml("iq", { type: "result" }), 0);
    mock.timers.tick(600_000);
    await flush();
    assert.equal(off.x.pings().length, 0, "selfPing 0 pinged");
  } finally {
    mock.timers.reset();
  }
});

test("data-self-ping is read as seconds", () => {
  const base = { websocket: "ws://x/ws", domain: "guest.x", service: "chat.x" };
  assert.equal(readConfig(base).config.selfPing, 30);
  assert.equal(readConfig({ ...base, selfPing: "5" }).config.selfPing, 5);
  assert.equal(readConfig({ ...base, selfPing: "0" }).config.selfPing, 0);
  assert.ok(readConfig({ ...base, selfPing: "soon" }).errors.some((e) => e.includes("data-self-ping")));
});
