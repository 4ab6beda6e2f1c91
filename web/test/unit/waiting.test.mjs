// Waiting visitors (issue 7): availability before the request, leave a
// message, the wait in queued events. Pure parts and the Chat controller.
import { test } from "node:test";
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { xml } from "@xmpp/client";
import { translator } from "../../src/strings.js";
import { readConfig } from "../../src/config.js";
import { availabilityText, eventText, statusText, waitText } from "../../src/events.js";
import { availabilityIQ, parseAvailability, leaveMessageIQ, classify, NS } from "../../src/stanzas.js";
import { Chat } from "../../src/chat.js";

const t = translator("en");

test("availability: the IQ, its answer, and the words for it", () => {
  const q = availabilityIQ("chat.x", "sales");
  assert.equal(q.attrs.type, "get");
  assert.equal(q.getChild("availability", NS).attrs.queue, "sales");
  assert.equal(availabilityIQ("chat.x", "").getChild("availability", NS).attrs.queue, undefined);
  const answer = (attrs) => xml("iq", { type: "result" }, xml("availability", { xmlns: NS }, xml("queue", attrs)));
  assert.deepEqual(parseAvailability(answer({ name: "sales", status: "busy", waiting: "3", wait: "360" })),
    { queue: "sales", status: "busy", waiting: 3, wait: 360, full: false });
  const away = parseAvailability(answer({ name: "q", status: "away", waiting: "0" }));
  assert.equal(away.wait, null);
  assert.equal(parseAvailability(xml("iq", { type: "result" })), null);

  assert.equal(availabilityText(t, { status: "available", wait: 120 }), "Usually answers in about 2 minutes");
  assert.equal(availabilityText(t, { status: "available", wait: null }), "An agent is available");
  assert.equal(availabilityText(t, { status: "busy", wait: 330 }), "All agents are busy, about 6 minutes");
  assert.equal(availabilityText(t, { status: "away", wait: 100 }, true), "We're away");
  assert.equal(availabilityText(t, { status: "busy", wait: 10, full: true }, true), "All agents are busy");
  assert.equal(waitText(t, 59), "less than a minute");
  assert.equal(waitText(t, 60), "about 1 minute");
  assert.equal(waitText(t, 61), "about 2 minutes");
});

test("queued events carry the wait; the status line says it", () => {
  const room = "s1@chat.x";
  const st = xml("message", { from: room, type: "groupchat" }, xml("body", {}, "You are number 2"),
    xml("event", { xmlns: NS, type: "queued", position: "2", wait: "150" }));
  const c = classify(st, room);
  assert.equal(c.event.wait, 150);
  assert.equal(eventText(t, c.event), "You are number 2 in the queue. Estimated wait: about 3 minutes.");
  const none = classify(xml("message", { from: room, type: "groupchat" }, xml("event", { xmlns: NS, type: "queued", position: "1" })), room);
  assert.equal(none.event.wait, null);
  assert.equal(eventText(t, none.event), "You are number 1 in the queue.");
  assert.equal(statusText(t, { phase: "chat", state: "queued", position: 1, wait: 30 }),
    "Waiting for an agent: you are number 1 in the queue (less than a minute).");
  assert.equal(statusText(t, { phase: "chat", state: "missed" }), "We have your message; an agent will answer here.");
});

test("data-availability: load, open or off", () => {
  const base = { websocket: "wss://x/ws", domain: "guest.x", service: "chat.x" };
  assert.equal(readConfig(base).config.availability, "load");
  assert.equal(readConfig({ ...base, availability: "off" }).config.availability, "off");
  assert.deepEqual(readConfig({ ...base, availability: "never" }).errors, ["data-availability must be load, open or off"]);
});

test("leaveMessageIQ carries the details and the message", () => {
  const el = leaveMessageIQ("chat.x", { queue: "q", token: "tok", visitor: { name: "Ann", email: "" }, body: "Call me" });
  const lm = el.getChild("leave-message", NS);
  assert.equal(lm.attrs.queue, "q");
  assert.equal(lm.attrs.token, "tok");
  assert.deepEqual(lm.getChild("visitor").attrs, { name: "Ann" });
  assert.equal(lm.getChildText("body"), "Call me");
});

class FakeClient extends EventEmitter {
  constructor(answers) {
    super();
    this.sent = [];
    this.starts = 0;
    this.iqCaller = { request: async (el) => {
      this.sent.push(el);
      const child = el.getChildElements()[0];
      const f = answers[child.name];
      if (!f) throw Object.assign(new Error("service-unavailable"), { condition: "service-unavailable" });
      return f(child);
    } };
    this.reconnect = { stop() {} };
  }
  async start() { this.starts++; await null; this.emit("online", "v@guest/r"); }
  async stop() {}
  async send(el) { this.sent.push(el); }
}

const config = { websocket: "ws://x/ws", domain: "guest.x", service: "chat.x", queue: "support", lang: "en" };

test("nobody there: the form turns to leave a message, which becomes a missed session with a cookie", async () => {
  const clients = [];
  const saved = [];
  const jar = { token: "", save(tk) { saved.push(tk); this.token = tk; } };
  const chat = new Chat({ config, jar, makeClient: () => {
    const c = new FakeClient({
      availability: () => xml("iq", { type: "result" }, xml("availability", { xmlns: NS }, xml("queue", { name: "support", status: "away", waiting: "0" }))),
      "leave-message": (lm) => {
        assert.equal(lm.getChildText("body"), "Please call me");
        assert.equal(lm.attrs.queue, "support");
        return xml("iq", { type: "result" }, xml("session", { xmlns: NS, id: "m1", room: "m1@chat.x", state: "missed", token: "tok1" }));
      },
    });
    clients.push(c);
    return c;
  } });
  // Two questions at once share one connection.
  await Promise.all([chat.checkAvailability(), chat.connect()]);
  assert.equal(clients.length, 1);
  assert.equal(chat.availability.status, "away");
  assert.equal(chat.messageMode, true);
  await chat.leaveMessage({ name: "Ann", email: "", question: "Please call me" });
  assert.equal(chat.phase, "sent");
  assert.deepEqual(saved, ["tok1"]);
  assert.equal(chat.session, null, "the widget does not join a missed session's room");
});

test("a full queue refuses the request: the form offers to leave a message", async () => {
  const chat = new Chat({ config, jar: { token: "", save() {} }, makeClient: () => new FakeClient({
    request: () => { throw Object.assign(new Error("full"), { condition: "resource-constraint", text: "the support queue is full" }); },
  }) });
  await chat.start({ name: "Ann", email: "", question: "Hi" });
  assert.equal(chat.phase, "form");
  assert.equal(chat.messageMode, true);
});
