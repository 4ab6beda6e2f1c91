// The visitor's side of the Parley protocol (PROTOCOL 3-5) as stanzas: what
// the widget sends, and what it makes of what it receives. Pure functions over
// @xmpp/xml elements, so they are tested without a server.
import { xml } from "@xmpp/client";

export const NS = "urn:parley:chat:0";
export const NS_MUC = "http://jabber.org/protocol/muc";
export const NS_MUC_USER = "http://jabber.org/protocol/muc#user";
export const NS_CHATSTATES = "http://jabber.org/protocol/chatstates";
export const NS_OOB = "jabber:x:oob";
export const NS_DELAY = "urn:xmpp:delay";
export const NS_SID = "urn:xmpp:sid:0";
export const NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";

// requestIQ asks the service for a chat (PROTOCOL 3).
export function requestIQ(service, { queue, token, isNew, visitor = {}, body = "" }) {
  const attrs = { xmlns: NS };
  if (queue) attrs.queue = queue;
  if (token) attrs.token = token;
  if (isNew) attrs.new = "true";
  const details = {};
  for (const [k, v] of Object.entries(visitor)) {
    if (v !== undefined && v !== null && String(v) !== "") details[k] = String(v);
  }
  const children = [xml("visitor", details)];
  if (body) children.push(xml("body", {}, body));
  return xml("iq", { type: "set", to: service }, xml("request", attrs, ...children));
}

// probeIQ asks whether the token has a chat in progress, creating nothing
// (docs/protocol.md, Visitor requests): <resumable/> or an empty result.
export function probeIQ(service, token) {
  return xml("iq", { type: "set", to: service }, xml("request", { xmlns: NS, token, probe: "true" }));
}

// availabilityIQ asks how a queue looks before any request (docs/protocol.md,
// Waiting visitors): whether an agent can answer, how many wait, the wait.
export function availabilityIQ(service, queue) {
  const attrs = { xmlns: NS };
  if (queue) attrs.queue = queue;
  return xml("iq", { type: "get", to: service }, xml("availability", attrs));
}

// parseAvailability reads its answer: the first <queue/> (the one asked for,
// or the default queue), or null.
export function parseAvailability(iq) {
  const q = iq.getChild("availability", NS)?.getChild("queue");
  if (!q) return null;
  const wait = q.attrs.wait === undefined || q.attrs.wait === "" ? null : Number(q.attrs.wait);
  return {
    queue: q.attrs.name || "",
    status: q.attrs.status || "away", // available, busy, away
    waiting: Number(q.attrs.waiting || 0),
    wait: Number.isFinite(wait) ? wait : null, // seconds; null when unknown
    full: q.attrs.full === "true",
  };
}

// leaveMessageIQ leaves a message when nobody can chat: it becomes a missed
// session an agent answers later.
export function leaveMessageIQ(service, { queue, token, visitor = {}, body = "" }) {
  const attrs = { xmlns: NS };
  if (queue) attrs.queue = queue;
  if (token) attrs.token = token;
  const details = {};
  for (const [k, v] of Object.entries(visitor)) {
    if (v !== undefined && v !== null && String(v) !== "") details[k] = String(v);
  }
  return xml("iq", { type: "set", to: service }, xml("leave-message", attrs, xml("visitor", details), xml("body", {}, body)));
}

// reconnectIQ is the visitor's Yes to the reconnect prompt.
export function reconnectIQ(service, session, token) {
  return xml("iq", { type: "set", to: service }, xml("reconnect", { xmlns: NS, session, token }));
}

// selfPingIQ is a XEP-0410 self-ping: to the visitor's own occupant JID.
export function selfPingIQ(room, nick) {
  return xml("iq", { type: "get", to: `${room}/${nick}` }, xml("ping", { xmlns: "urn:xmpp:ping" }));
}

export function joinPresence(room, nick) {
  return xml("presence", { to: `${room}/${nick}` }, xml("x", { xmlns: NS_MUC }));
}

// suspendPresence leaves the room suspending the session explicitly (PROTOCOL 5).
export function suspendPresence(room, nick) {
  return xml("presence", { to: `${room}/${nick}`, type: "unavailable" }, xml("suspend", { xmlns: NS }));
}

export function suspendIQ(room) {
  return xml("iq", { type: "set", to: room }, xml("suspend", { xmlns: NS }));
}

export function closeIQ(room) {
  return xml("iq", { type: "set", to: room }, xml("close", { xmlns: NS }));
}

// groupchat is a message to the room. id is also its XEP-0359 origin-id: a
// resend carries the same one, and the service keeps and delivers it once
// (docs/protocol.md, Messages sent exactly once).
export function groupchat(room, body, id) {
  return xml("message", { type: "groupchat", to: room, id }, xml("body", {}, body), xml("active", { xmlns: NS_CHATSTATES }),
    xml("origin-id", { xmlns: NS_SID, id }));
}

// chatState is a XEP-0085 notification with no body (the service relays it).
export function chatState(room, state) {
  return xml("message", { type: "groupchat", to: room }, xml(state, { xmlns: NS_CHATSTATES }));
}

function sessionOf(el) {
  if (!el) return null;
  const a = el.attrs;
  return {
    id: a.id || "",
    room: a.room || "",
    state: a.state || "",
    token: a.token || "",
    suspendedBy: a["suspended-by"] || "",
    cause: a.cause || "",
    started: a.started || "",
    replaces: a.replaces || "",
    nick: a.nick || "", // the visitor's name in that session
    reconnected: a.reconnected === "true", // the answer is a reconnect, not a new session
  };
}

// parseRequestResult reads the answer to a request, probe or reconnect: a
// session to join, or one to offer in the reconnect prompt; null for an empty
// result (a probe's "nothing in progress").
export function parseRequestResult(iq) {
  const s = iq.getChild("session", NS);
  if (s) return { kind: "session", session: sessionOf(s) };
  const r = iq.getChild("resumable", NS);
  if (r) return { kind: "resumable", mode: r.attrs.mode || "prompt", session: sessionOf(r.getChild("session")) };
  return null;
}

export function errorOf(stanza) {
  const e = stanza.getChild("error");
  if (!e) return { condition: "undefined-condition", text: "", type: "" };
  let condition = "undefined-condition";
  let text = "";
  for (const c of e.getChildElements()) {
    if (c.attrs.xmlns !== NS_STANZAS) continue;
    if (c.name === "text") text = c.text();
    else condition = c.name;
  }
  return { condition, text, type: e.attrs.type || "" };
}

function bare(j) {
  const s = String(j || "");
  const i = s.indexOf("/");
  return i < 0 ? s : s.slice(0, i);
}

function resource(j) {
  const s = String(j || "");
  const i = s.indexOf("/");
  return i < 0 ? "" : s.slice(i + 1);
}

const STATES = ["active", "composing", "paused", "inactive", "gone"];

// classify says what a stanza from the room means to the widget, or null
// when it is not about that room. Messages keep their stanza-id (sid) and
// delay stamp; history is true for delayed ones.
export function classify(stanza, room) {
  const from = stanza.attrs.from || "";
  if (bare(from) !== room) return null;
  const nick = resource(from);
  if (stanza.name === "presence") {
    const x = stanza.getChild("x", NS_MUC_USER);
    const type = stanza.attrs.type || "";
    if (type === "error") return { kind: "join-error", nick, ...errorOf(stanza) };
    const codes = x ? x.getChildren("status").map((s) => s.attrs.code) : [];
    const item = x?.getChild("item");
    const self = codes.includes("110");
    if (type === "unavailable") {
      const d = x?.getChild("destroy");
      return { kind: "unavailable", nick, self, destroyed: !!d, reason: d ? d.getChildText("reason") || "" : "" };
    }
    if (type === "") return { kind: "available", nick, self, role: item?.attrs.role || "", affiliation: item?.attrs.affiliation || "" };
    return null;
  }
  if (stanza.name !== "message") return null;
  const type = stanza.attrs.type || "normal";
  if (type === "error") return { kind: "message-error", id: stanza.attrs.id || "", ...errorOf(stanza) };
  if (type !== "groupchat") return null;
  const delay = stanza.getChild("delay", NS_DELAY);
  const sidEl = stanza.getChildren("stanza-id", NS_SID).find((e) => bare(e.attrs.by) === room);
  const originEl = stanza.getChild("origin-id", NS_SID);
  const meta = {
    id: stanza.attrs.id || "",
    origin: originEl ? originEl.attrs.id || "" : "",
    sid: sidEl ? sidEl.attrs.id : "",
    stamp: delay ? delay.attrs.stamp : "",
    history: !!delay,
  };
  if (stanza.getChild("subject")) return { kind: "subject", ...meta };
  const body = stanza.getChildText("body");
  // System lines come from the service's nick ("Parley"; older ones from the
  // bare room JID): the <event/> element, not the nick, says what they are.
  const ev = stanza.getChild("event", NS);
  if (!nick || ev) {
    if (!ev) return body ? { kind: "notice", body, ...meta } : null;
    const a = ev.attrs;
    return {
      kind: "event",
      body: body || "",
      event: {
        type: a.type || "",
        by: a.by || "",
        state: a.state || "",
        position: a.position ? Number(a.position) : 0,
        wait: a.wait !== undefined && a.wait !== "" && Number.isFinite(Number(a.wait)) ? Number(a.wait) : null,
        agent: a.agent || "",
        cause: a.cause || "",
      },
      ...meta,
    };
  }
  const links = stanza.getChildren("x", NS_OOB).map((x) => ({ url: x.getChildText("url") || "", desc: x.getChildText("desc") || "" }))
    .filter((l) => l.url);
  if (body === null && links.length === 0) {
    const st = stanza.getChildElements().find((c) => c.attrs.xmlns === NS_CHATSTATES && STATES.includes(c.name));
    return st ? { kind: "chatstate", nick, state: st.name, ...meta } : null;
  }
  return { kind: "message", nick, body: body || "", links, ...meta };
}
