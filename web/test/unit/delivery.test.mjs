// Messages sent exactly once (docs/protocol.md): the widget marks each
// message with an origin-id, shows "sending" until the room reflects it,
// "retrying" after an error of type wait or silence, and sends what was not
// reflected again after a reconnect, with the same origin-id.
import { test, mock } from "node:test";
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { xml } from "@xmpp/client";
import { Chat, RETRY_MS } from "../../src/chat.js";
import { NS, NS_SID } from "../../src/stanzas.js";

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
      return f(child);
    } };
    this.reconnect = { stop() {} };
  }
  async start() { this.emit("online", "v@guest/r"); }
  async stop() {}
  async send(el) { this.sent.push(el); }
  messages() { return this.sent.filter((e) => e.name === "message" && e.getChild("body")); }
}

const config = { websocket: "ws://x/ws", domain: "guest.x", service: "chat.x", queue: "", lang: "en" };
const jar = () => ({ token: "", save(t) { this.token = t; } });
const sessionResult = (attrs) => xml("iq", { type: "result" }, xml("session", { xmlns: NS, ...attrs }));
const subject = (room) => xml("message", { from: room, type: "groupchat" }, xml("subject", {}, "Chat with Ann"));
const selfPresence = (room, nick) => xml("presence", { from: `${room}/${nick}` },
  xml("x", { xmlns: MUC_USER }, xml("item", { role: "participant" }), xml("status", { code: "110" })));
const reflection = (m, sid, extra = {}) => xml("message", { from: "s1@chat.x/Ann", type: "groupchat", id: m.attrs.id, ...extra },
  xml("body", {}, m.getChildText("body")), xml("origin-id", { xmlns: NS_SID, id: m.getChild("origin-id", NS_SID).attrs.id }),
  xml("stanza-id", { xmlns: NS_SID, by: "s1@chat.x", id: sid }));

async function inChat(answers = {}) {
  let fake;
  const errors = [];
  const chat = new Chat({ config, jar: jar(), makeClient: () => (fake = new FakeClient({
    request: () => sessionResult({ id: "s1", room: "s1@chat.x", state: "active", token: "TOKEN1234567890123456", nick: "Ann" }),
    reconnect: () => sessionResult({ id: "s1", room: "s1@chat.x", state: "active", nick: "Ann" }),
    ...answers,
  })), onChange: (k, d) => { if (k === "error") errors.push(d); } });
  await chat.start({ name: "Ann" });
  fake.emit("stanza", selfPresence("s1@chat.x", "Ann"));
  fake.emit("stanza", subject("s1@chat.x"));
  assert.equal(chat.phase, "chat");
  return { chat, x: fake, errors };
}

test("every message carries an origin-id; its reflection clears sending", async () => {
  mock.timers.enable({ apis: ["setTimeout"] });
  try {
    const { chat, x } = await inChat();
    chat.sendMessage("hello");
    const [m] = x.messages();
    const origin = m.getChild("origin-id", NS_SID);
    assert.ok(origin && origin.attrs.id, "no origin-id");
    assert.equal(origin.attrs.id, m.attrs.id);
    assert.equal(chat.lines.at(-1).status, "sending");
    x.emit("stanza", reflection(m, "7"));
    assert.equal(chat.lines.at(-1).status, "sent");
    mock.timers.tick(RETRY_MS * 3);
    assert.equal(x.messages().length, 1, "a reflected message was sent again");
  } finally {
    mock.timers.reset();
  }
});

test("silence: not sent, retrying, and sent again with the same origin-id; the late reflection is shown once", async () => {
  mock.timers.enable({ apis: ["setTimeout"] });
  try {
    const { chat, x } = await inChat();
    chat.sendMessage("are you there?");
    mock.timers.tick(RETRY_MS);
    assert.equal(chat.lines.at(-1).status, "retrying");
    const [a, b] = x.messages();
    assert.ok(b, "not sent again after silence");
    assert.equal(b.getChild("origin-id", NS_SID).attrs.id, a.getChild("origin-id", NS_SID).attrs.id);
    // Both reflections come back (the service answers a repeat with the original).
    x.emit("stanza", reflection(a, "9"));
    x.emit("stanza", reflection(b, "9"));
    assert.deepEqual(chat.lines.filter((l) => l.kind === "message").map((l) => [l.body, l.status]), [["are you there?", "sent"]]);
  } finally {
    mock.timers.reset();
  }
});

test("an error of type wait: retrying, then sent; another error: not delivered", async () => {
  mock.timers.enable({ apis: ["setTimeout"] });
  try {
    const { chat, x } = await inChat();
    chat.sendMessage("one");
    const [m] = x.messages();
    x.emit("stanza", xml("message", { from: "s1@chat.x", type: "error", id: m.attrs.id },
      xml("error", { type: "wait" }, xml("resource-constraint", { xmlns: "urn:ietf:params:xml:ns:xmpp-stanzas" }))));
    assert.equal(chat.lines.at(-1).status, "retrying");
    mock.timers.tick(RETRY_MS);
    const again = x.messages()[1];
    assert.ok(again, "not resent after a wait error");
    x.emit("stanza", reflection(again, "3"));
    assert.equal(chat.lines.at(-1).status, "sent");

    chat.sendMessage("two");
    const m2 = x.messages().at(-1);
    x.emit("stanza", xml("message", { from: "s1@chat.x", type: "error", id: m2.attrs.id },
      xml("error", { type: "modify" }, xml("bad-request", { xmlns: "urn:ietf:params:xml:ns:xmpp-stanzas" }))));
    assert.equal(chat.lines.at(-1).status, "failed");
  } finally {
    mock.timers.reset();
  }
});

test("after a reconnect what was not reflected is sent again with its origin-id, what the history shows is not", async () => {
  mock.timers.enable({ apis: ["setTimeout"] });
  try {
    const { chat, x } = await inChat();
    chat.sendMessage("kept before the crash");
    chat.sendMessage("lost in the crash");
    const [kept, lost] = x.messages();
    x.emit("disconnect");
    x.emit("online", "v@guest/r2");
    await new Promise((r) => setImmediate(r));
    x.emit("stanza", selfPresence("s1@chat.x", "Ann"));
    // The history replay holds the first one (the service had kept it).
    const replay = reflection(kept, "4", {});
    replay.append(xml("delay", { xmlns: "urn:xmpp:delay", stamp: "2026-01-01T10:00:00Z" }));
    x.emit("stanza", replay);
    const before = x.messages().length;
    x.emit("stanza", subject("s1@chat.x"));
    const resent = x.messages().slice(before);
    assert.deepEqual(resent.map((m) => m.getChild("origin-id", NS_SID).attrs.id), [lost.getChild("origin-id", NS_SID).attrs.id]);
    x.emit("stanza", reflection(resent[0], "5"));
    assert.deepEqual(chat.lines.filter((l) => l.kind === "message").map((l) => [l.body, l.status]),
      [["kept before the crash", "sent"], ["lost in the crash", "sent"]]);
  } finally {
    mock.timers.reset();
  }
});

test("the limits per visitor are explained in words", async () => {
  for (const [type, key] of [["wait", "limitRate"], ["cancel", "limitOpen"]]) {
    const errors = [];
    const chat = new Chat({ config, jar: jar(), makeClient: () => new FakeClient({
      request: () => { throw Object.assign(new Error("x"), { condition: "policy-violation", type, text: "too many" }); },
    }), onChange: (k, d) => { if (k === "error") errors.push(d); } });
    await chat.start({ name: "Ann" });
    assert.equal(chat.phase, "form");
    assert.equal(errors.at(-1)?.key, key);
  }
});

test("not in the room any more (a standby took over): join again, then send again with the same origin-id", async () => {
  mock.timers.enable({ apis: ["setTimeout"] });
  try {
    const { chat, x } = await inChat();
    chat.sendMessage("during the takeover");
    const [m] = x.messages();
    x.emit("stanza", xml("message", { from: "s1@chat.x", type: "error", id: m.attrs.id },
      xml("error", { type: "modify" }, xml("not-acceptable", { xmlns: "urn:ietf:params:xml:ns:xmpp-stanzas" }))));
    assert.equal(chat.lines.at(-1).status, "retrying");
    const join = x.sent.at(-1);
    assert.equal(join.name, "presence");
    assert.equal(join.attrs.to, "s1@chat.x/Ann");
    x.emit("stanza", selfPresence("s1@chat.x", "Ann"));
    x.emit("stanza", subject("s1@chat.x"));
    const again = x.messages().at(-1);
    assert.notEqual(again, m);
    assert.equal(again.getChild("origin-id", NS_SID).attrs.id, m.getChild("origin-id", NS_SID).attrs.id);
    x.emit("stanza", reflection(again, "2"));
    assert.equal(chat.lines.at(-1).status, "sent");
  } finally {
    mock.timers.reset();
  }
});

test("typed while joining the room again after a reconnect: kept as sending, sent once the join is done", async () => {
  mock.timers.enable({ apis: ["setTimeout"] });
  try {
    const { chat, x } = await inChat();
    x.emit("disconnect");
    x.emit("online", "v@guest/r2");
    await new Promise((r) => setImmediate(r));
    assert.equal(chat.phase, "joining");
    assert.ok(chat.catchingUp, "a rejoin of the same room is catching up");
    const before = x.messages().length;
    assert.equal(chat.sendMessage("typed meanwhile"), true, "the composer takes the line while the room is joined again");
    assert.equal(x.messages().length, before, "nothing is sent before the join is done");
    assert.deepEqual(chat.lines.filter((l) => l.kind === "message").map((l) => [l.body, l.status]), [["typed meanwhile", "sending"]]);
    x.emit("stanza", selfPresence("s1@chat.x", "Ann"));
    x.emit("stanza", subject("s1@chat.x"));
    const sent = x.messages().slice(before);
    assert.deepEqual(sent.map((m) => m.getChildText("body")), ["typed meanwhile"]);
    x.emit("stanza", reflection(sent[0], "7"));
    assert.deepEqual(chat.lines.filter((l) => l.kind === "message").map((l) => [l.body, l.status]), [["typed meanwhile", "sent"]]);
  } finally {
    mock.timers.reset();
  }
});
