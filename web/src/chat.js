// Chat is the visitor's conversation with the service, apart from any DOM: it
// connects anonymously, requests a chat or reconnects to one, joins the
// session room and keeps what the UI shows (phase, lines, status). The UI
// listens to its changes through onChange(kind, data).
import {
  requestIQ,
  probeIQ,
  availabilityIQ,
  parseAvailability,
  leaveMessageIQ,
  reconnectIQ,
  selfPingIQ,
  joinPresence,
  suspendPresence,
  suspendIQ,
  closeIQ,
  groupchat,
  chatState,
  parseRequestResult,
  classify,
  errorOf,
} from "./stanzas.js";

// Phases: form (nothing asked yet), connecting (asking), prompt (a chat in
// progress is offered), joining, chat (in the room), left (the visitor
// suspended), ended (closed or expired), error (no connection).
//
// With a token cookie the first opening of the panel probes the service
// (docs/protocol.md, Visitor requests): a chat in progress is offered before
// the form (Yes reconnects, No shows the form, whose request then has
// new='true'); otherwise the form shows. A request can still be answered with
// the prompt (a chat started meanwhile in another window): then it comes
// after the form, as PROTOCOL 3 has it.

const PAUSE_MS = 5000;
const IQ_TIMEOUT_MS = 15000;
// A message not reflected by the room within RETRY_MS shows "not sent,
// retrying" and is sent again (same origin-id) every RETRY_MS while online.
export const RETRY_MS = 4000;
const MAX_TRIES = 40; // then "not delivered" (about three minutes)
// Errors after which a message is tried again: the service is away for a
// moment (restarting, a standby taking over, its store down).
const RETRYABLE = new Set(["service-unavailable", "remote-server-not-found", "remote-server-timeout", "recipient-unavailable", "not-acceptable"]);

export function randomID(n = 12) {
  const a = new Uint8Array(n);
  globalThis.crypto.getRandomValues(a);
  return Array.from(a, (b) => b.toString(16).padStart(2, "0")).join("");
}

// nickFor makes a room nick (a resourcepart) from the visitor's name.
export function nickFor(name) {
  const n = String(name || "")
    .normalize("NFC")
    .replace(/[\u0000-\u001f\u007f]/g, "")
    .trim()
    .slice(0, 48);
  return n || "Visitor";
}

export class Chat {
  // beacon(fields) sends the suspend beacon (navigator.sendBeacon to
  // parleyd's /beacon, widget.js); null: none.
  constructor({ config, jar, makeClient, onChange = () => {}, now = () => new Date(), beacon = null }) {
    this.config = config;
    this.beacon = beacon;
    this.jid = ""; // this page's full JID while online, for the beacon
    this.jar = jar;
    this.makeClient = makeClient;
    this.onChange = onChange;
    this.now = now;
    this.client = null;
    this.connected = false;
    this.everOnline = false;
    this.phase = "form";
    this.details = null; // the last pre-chat form
    this.probed = false; // the probe was sent (once per page)
    this.forceNew = false; // No before the form: its request starts a new chat
    this.firstMessage = ""; // the form's question, to send once in the room
    this.session = null; // {id, room, state, ...}
    this.offered = null; // the session in the prompt
    this.token = ""; // in memory too, for reconnects within this page
    this.nick = "";
    this.agent = "";
    this.position = 0;
    this.wait = null; // seconds still to wait, from the last queued event; null unknown
    this.availability = null; // {status, waiting, wait, full} of the queue, before a request
    this.messageMode = false; // the form leaves a message instead of asking for a chat
    this.modeChosen = false; // the visitor picked the mode itself
    this.connectingP = null; // a connect() in progress, shared
    this.occupants = new Map(); // nick -> role
    this.agentNicks = new Set();
    this.lines = [];
    this.seen = new Set(); // stanza-ids shown
    this.pending = new Map(); // message id (= origin-id) -> line not reflected yet
    this.typing = new Set();
    this.composing = false;
    this.pauseTimer = null;
    this.leaving = "";
    this.error = "";
    this.notice = "";
    this.dead = false;
    this.lastRoomAt = 0; // when the room last sent anything (Date.now())
    this.pingTimer = null;
    this.pinging = false;
  }

  emit(kind, data) {
    try {
      this.onChange(kind, data);
    } catch (e) {
      console.error("parley:", e);
    }
  }

  setPhase(p) {
    if (p === "chat") this.armSelfPing();
    else {
      clearTimeout(this.pingTimer);
      this.pingTimer = null;
    }
    if (this.phase === p) return;
    this.phase = p;
    this.emit("phase", p);
    this.emit("status");
  }

  // ---- connection ----------------------------------------------------------

  // connect shares one attempt between callers (the availability question
  // and the probe can both ask at the panel's first opening).
  connect() {
    if (this.client && this.connected) return Promise.resolve();
    if (!this.connectingP) {
      this.connectingP = this.connectOnce().finally(() => {
        this.connectingP = null;
      });
    }
    return this.connectingP;
  }

  async connectOnce() {
    if (this.client) {
      // A half-open client from an earlier attempt: start over.
      const old = this.client;
      this.client = null;
      old.stop().catch(() => {});
    }
    const x = this.makeClient({ service: this.config.websocket, domain: this.config.domain, lang: this.config.lang });
    this.client = x;
    x.on("error", (err) => {
      if (this.client === x) console.warn("parley: connection:", err?.message || err);
    });
    x.on("stanza", (st) => {
      if (this.client === x) this.stanza(st);
    });
    x.on("offline", () => {
      if (this.client === x) this.connected = false;
    });
    x.on("disconnect", () => {
      if (this.client !== x || this.dead) return;
      this.connected = false;
      if (this.phase === "chat" || this.phase === "joining") {
        this.notice = "connectionLost";
        this.emit("status");
      }
    });
    x.on("online", (address) => {
      if (this.client !== x) return;
      this.connected = true;
      this.jid = address ? String(address) : "";
      if (this.everOnline) this.recover();
      this.everOnline = true;
    });
    await x.start();
  }

  // recover rejoins after the client reconnected by itself with a new JID.
  async recover() {
    if (!this.session || !(this.phase === "chat" || this.phase === "joining")) return;
    this.notice = "";
    this.rejoining = true;
    try {
      const res = await this.iq(reconnectIQ(this.config.service, this.session.id, this.token));
      const r = parseRequestResult(res);
      if (r?.kind === "session") this.adopt(r.session);
    } catch (e) {
      this.fail(e);
    }
  }

  async iq(el) {
    return this.client.iqCaller.request(el, IQ_TIMEOUT_MS);
  }

  send(el) {
    if (!this.client || !this.connected) return Promise.resolve();
    return this.client.send(el).catch((e) => console.warn("parley: send:", e?.message || e));
  }

  fail(e) {
    console.warn("parley:", e);
    if (e && e.condition) {
      this.error = e.text || e.condition;
      // A full queue: the form offers to leave a message instead.
      if (e.condition === "resource-constraint") this.messageMode = true;
      this.setPhase("form");
      // The limits per visitor (docs/protocol.md): said in the visitor's words.
      if (e.condition === "policy-violation") {
        const type = e.type || e.element?.attrs?.type || "";
        this.emit("error", { key: type === "wait" ? "limitRate" : "limitOpen", reason: this.error });
        return;
      }
      this.emit("error", { key: "requestFailed", reason: this.error });
      return;
    }
    this.error = String(e?.message || e);
    this.setPhase("error");
  }

  // ---- probe, request, prompt, reconnect -----------------------------------

  // checkAvailability asks how the queue looks (docs/protocol.md, Waiting
  // visitors) and switches the form to leave-a-message when nobody can chat
  // or the queue is full. Failures leave things as they were.
  async checkAvailability() {
    if (this.dead || this.session) return;
    try {
      await this.connect();
      const a = parseAvailability(await this.iq(availabilityIQ(this.config.service, this.config.queue)));
      if (!a || this.dead) return;
      this.availability = a;
      if (this.phase === "form" && !this.details && !this.modeChosen) this.messageMode = a.status === "away" || a.full;
      this.emit("status");
    } catch (e) {
      console.warn("parley: availability:", e?.condition || e?.message || e);
    }
  }

  // chatInstead is the visitor asking for a chat although nobody is there.
  setMessageMode(on) {
    this.messageMode = !!on;
    this.modeChosen = true; // the visitor's choice: availability no longer switches it
    this.emit("status");
  }

  // submit sends a form: it keeps the visitor's details, connects and runs
  // send; an error from either is the panel's.
  async submit(details, send) {
    this.details = { ...details };
    this.error = "";
    this.setPhase("connecting");
    try {
      await this.connect();
      await send();
    } catch (e) {
      this.fail(e);
    }
  }

  // leaveMessage sends the leave-a-message form: {name, email, question}.
  leaveMessage(details) {
    return this.submit(details, async () => {
      const r = parseRequestResult(
        await this.iq(
          leaveMessageIQ(this.config.service, {
            queue: this.config.queue,
            token: this.jar.token,
            visitor: this.visitorDetails(),
            body: this.details.question || "",
          }),
        ),
      );
      if (!r || r.kind !== "session") throw new Error("unexpected answer to the message");
      if (r.session.token) this.token = r.session.token;
      this.jar.save(this.token || this.jar.token);
      this.left = { ...r.session };
      this.setPhase("sent");
    });
  }

  // opened is the panel opening: the first time, with a token cookie and
  // nothing asked yet, the probe.
  opened() {
    if (this.probed || this.phase !== "form" || this.session || this.details || !this.jar.token) return Promise.resolve();
    return this.probe();
  }

  // probe asks whether the token has a chat in progress, which creates
  // nothing: the prompt when it has, else the form. Without an answer the
  // form too (its request will tell).
  async probe() {
    this.probed = true;
    this.setPhase("connecting");
    let r = null;
    try {
      await this.connect();
      r = parseRequestResult(await this.iq(probeIQ(this.config.service, this.jar.token)));
    } catch (e) {
      console.warn("parley: probe:", e?.condition || e?.message || e);
    }
    if (this.dead || this.phase !== "connecting") return;
    if (r?.kind === "resumable" && r.session) {
      this.offered = r.session;
      this.setPhase("prompt");
      // reconnect=always on the service: no question, as if Yes was clicked.
      if (r.mode === "always") await this.answer(true);
      return;
    }
    this.setPhase("form");
  }

  // start sends the pre-chat form: {name, email, question}.
  start(details) {
    return this.submit(details, () => this.request(this.forceNew));
  }

  // retry is Try again after a failed connection: back into the chat that was
  // open, else the same request again, else the probe.
  retry() {
    if (this.session) return this.returnToChat();
    if (this.details) return this.start(this.details);
    if (this.jar.token) return this.probe();
    this.setPhase("form");
    return Promise.resolve();
  }

  visitorDetails() {
    const d = this.details || {};
    const loc = globalThis.location;
    const doc = globalThis.document;
    const cut = (s) => String(s || "").slice(0, 1000);
    return {
      name: d.name,
      email: d.email,
      page: cut(loc?.href),
      referrer: cut(doc?.referrer),
      language: globalThis.navigator?.language || "",
    };
  }

  async request(isNew) {
    const el = requestIQ(this.config.service, {
      queue: this.config.queue,
      token: this.jar.token,
      isNew,
      visitor: this.visitorDetails(),
      body: this.details?.question || "",
    });
    const r = parseRequestResult(await this.iq(el));
    if (!r || !r.session) throw new Error("unexpected answer to the chat request");
    if (r.kind === "resumable") {
      this.offered = r.session;
      this.setPhase("prompt");
      return;
    }
    this.adopt(r.session);
    if (r.session.reconnected) {
      // reconnect=always: the request took the visitor back into the chat in
      // progress, and the question typed in the form went nowhere. It is
      // the visitor's first message there.
      this.firstMessage = this.details?.question || "";
    } else {
      this.forceNew = false;
    }
  }

  // answer is the visitor's Yes or No to the prompt.
  async answer(yes) {
    const offered = this.offered;
    this.offered = null;
    if (!yes && !this.details) {
      // No before the form: the form, under the name of that chat.
      this.forceNew = true;
      if (offered?.nick) this.emit("name", offered.nick);
      this.setPhase("form");
      return;
    }
    this.setPhase("connecting");
    try {
      await this.connect();
      if (!yes || !offered) {
        await this.request(true);
        return;
      }
      await this.reconnectTo(offered.id, this.jar.token);
      // A prompt after the form: what the visitor typed there is not lost, it
      // waits in the composer.
      if (this.details?.question) this.emit("draft", this.details.question);
    } catch (e) {
      this.fail(e);
    }
  }

  async reconnectTo(id, token) {
    try {
      const r = parseRequestResult(await this.iq(reconnectIQ(this.config.service, id, token)));
      if (!r || r.kind !== "session") throw new Error("unexpected answer to the reconnect");
      this.adopt(r.session);
    } catch (e) {
      if (e?.condition === "item-not-found" || e?.condition === "not-authorized") {
        // Gone or not ours: a new chat instead, by the form when it was
        // not filled in (never a session without the visitor's name).
        if (this.details) await this.request(true);
        else this.setPhase("form");
        return;
      }
      throw e;
    }
  }

  // returnToChat reconnects to the session this page suspended.
  async returnToChat() {
    if (!this.session) return;
    const id = this.session.id;
    this.setPhase("connecting");
    try {
      await this.connect();
      await this.reconnectTo(id, this.token);
    } catch (e) {
      this.fail(e);
    }
  }

  newChat() {
    this.session = null;
    this.left = null;
    this.forceNew = false;
    this.resetRoom();
    this.setPhase("form");
  }

  resetRoom() {
    this.lines = [];
    this.seen.clear();
    for (const line of this.pending.values()) clearTimeout(line.timer);
    this.pending.clear();
    this.typing.clear();
    this.occupants.clear();
    this.agentNicks.clear();
    this.agent = "";
    this.position = 0;
    this.wait = null;
    this.notice = "";
    this.firstMessage = "";
    this.emit("reset");
  }

  // adopt makes s the current session and joins its room under the
  // visitor's name in that session (the service's nick); back in the same
  // room, under the nick this page had there.
  adopt(s) {
    const sameRoom = this.session && this.session.room === s.room;
    if (s.token) this.token = s.token;
    if (!sameRoom || !this.nick) this.nick = nickFor(s.nick || this.details?.name);
    this.jar.save(this.token);
    this.session = { ...s };
    // Back into the room it was in (a reconnect): the conversation and the
    // composer stay, and what the visitor types meanwhile waits as
    // "sending" until the join is done (resendPending).
    this.rejoinSame = sameRoom && !!this.rejoining;
    if (!sameRoom) this.resetRoom();
    if (s.replaces) this.systemLine(null, "", { key: "replaced" });
    this.leaving = "";
    this.setPhase("joining");
    this.send(joinPresence(s.room, this.nick));
    this.emit("session", this.session);
  }

  // ---- in the room ---------------------------------------------------------

  stanza(st) {
    if (!this.session) return;
    const c = classify(st, this.session.room);
    if (!c) return;
    this.lastRoomAt = Date.now();
    switch (c.kind) {
      case "available":
        if (c.self) {
          this.nick = c.nick;
          if (this.phase === "joining") this.setPhase("chat");
          this.notice = "";
          this.emit("status");
        } else {
          this.occupants.set(c.nick, c.role);
          if (c.role === "moderator") this.agentNicks.add(c.nick);
        }
        break;
      case "unavailable":
        if (c.self) {
          this.typing.clear();
          if (c.destroyed) this.setPhase("ended");
          else if (this.phase !== "ended") this.setPhase("left");
          this.emit("typing");
        } else {
          this.occupants.delete(c.nick);
          if (this.typing.delete(c.nick)) this.emit("typing");
        }
        break;
      case "join-error":
        if (c.condition === "conflict" && this.phase === "joining") {
          this.nick = nickFor(this.nick.slice(0, 44) + " " + randomID(1));
          this.send(joinPresence(this.session.room, this.nick));
          return;
        }
        if (this.phase === "joining") {
          if (c.condition === "item-not-found") this.setPhase("ended");
          else this.fail(new Error(c.text || c.condition));
        }
        break;
      case "subject":
        // The end of the join (after the history): the place for a first
        // message, so it follows the transcript.
        // Back in the room after a reconnect: what was not reflected goes
        // again, with its origin-id, now that the history replay has
        // confirmed what the service did keep.
        if (this.rejoining && this.phase === "chat") {
          this.rejoining = false;
          this.resendPending();
        }
        if (this.firstMessage && this.phase === "chat") {
          const q = this.firstMessage;
          this.firstMessage = "";
          this.sendMessage(q);
        }
        break;
      case "event":
        this.onEvent(c);
        break;
      case "message":
        this.onMessage(c);
        break;
      case "chatstate":
        if (c.nick === this.nick) return;
        if (c.state === "composing") this.typing.add(c.nick);
        else this.typing.delete(c.nick);
        this.emit("typing");
        break;
      case "message-error": {
        const line = this.pending.get(c.id);
        if (line) {
          line.error = c.text || c.condition;
          if (c.type === "wait" || (RETRYABLE.has(c.condition) && (line.tries || 0) < MAX_TRIES)) {
            // The service is busy, its store is down, or it is coming back
            // (restart, takeover): it did not keep the message; try again
            // soon. "not-acceptable" (not in the room: a new parleyd has
            // no occupants) means join again first (XEP-0410's advice).
            line.status = "retrying";
            this.emit("update", line);
            if (c.condition === "not-acceptable" && this.phase === "chat") this.rejoin();
            this.armRetry(line);
            break;
          }
          this.pending.delete(c.id);
          clearTimeout(line.timer);
          line.status = "failed";
          this.emit("update", line);
        }
        break;
      }
    }
  }

  seenBefore(c) {
    if (!c.sid) return false;
    if (this.seen.has(c.sid)) return true;
    this.seen.add(c.sid);
    return false;
  }

  onEvent(c) {
    const ev = c.event;
    if (ev.state) this.session.state = ev.state;
    if (ev.type === "queued" && ev.position) {
      this.position = ev.position;
      this.wait = ev.wait ?? null;
    }
    if (ev.type === "assigned" || ev.type === "transferred") {
      this.position = 0;
      this.wait = null;
    }
    if ((ev.type === "assigned" || ev.type === "conference") && ev.agent) {
      this.agentNicks.add(ev.agent);
      if (ev.type === "assigned") this.agent = ev.agent;
    }
    if (ev.type === "transferred") this.agent = "";
    this.emit("status");
    if (this.seenBefore(c)) return;
    this.systemLine(c, c.body, { event: ev });
  }

  systemLine(c, body, extra) {
    const line = { kind: "system", body, at: c?.stamp ? new Date(c.stamp) : this.now(), sid: c?.sid || "", ...extra };
    this.lines.push(line);
    this.emit("line", line);
  }

  onMessage(c) {
    const mine = c.nick === this.nick;
    const key = c.origin || c.id;
    const pending = key && this.pending.get(key);
    if (pending) {
      this.pending.delete(key);
      clearTimeout(pending.timer);
      pending.status = "sent";
      pending.sid = c.sid;
      if (c.sid) this.seen.add(c.sid);
      this.emit("update", pending);
      return;
    }
    if (this.seenBefore(c)) return;
    if (!mine && this.typing.delete(c.nick)) this.emit("typing");
    const line = {
      kind: "message",
      mine,
      nick: c.nick,
      body: c.body,
      links: c.links,
      at: c.stamp ? new Date(c.stamp) : this.now(),
      sid: c.sid,
      status: "sent",
      history: c.history,
    };
    this.lines.push(line);
    this.emit("line", line);
  }

  sendMessage(text) {
    const body = String(text || "").trim();
    if (!body || !this.session || !(this.phase === "chat" || this.catchingUp)) return false;
    const id = randomID(8);
    const line = { kind: "message", mine: true, nick: this.nick, body, links: [], at: this.now(), sid: "", status: "sending", id };
    this.pending.set(id, line);
    this.lines.push(line);
    this.emit("line", line);
    clearTimeout(this.pauseTimer);
    this.composing = false;
    this.transmit(line);
    return true;
  }

  // catchingUp: joining the same room again after a reconnect; the visitor
  // keeps the conversation and may type.
  get catchingUp() { return this.phase === "joining" && !!this.rejoinSame; }

  // transmit sends a pending line (again) and waits RETRY_MS for its reflection.
  transmit(line) {
    if (!this.session || !this.pending.has(line.id)) return;
    if (this.connected && this.phase === "chat") {
      line.tries = (line.tries || 0) + 1;
      this.send(groupchat(this.session.room, line.body, line.id));
    }
    this.armRetry(line);
  }

  // rejoin enters the room again under the same nick (the service lost its
  // occupants: a restart or a takeover); what is pending goes again after.
  rejoin() {
    const now = Date.now();
    if (!this.session || (this.rejoining && now - (this.rejoinAt || 0) < RETRY_MS)) return;
    this.rejoining = true;
    this.rejoinAt = now;
    this.send(joinPresence(this.session.room, this.nick));
  }

  armRetry(line) {
    clearTimeout(line.timer);
    line.timer = setTimeout(() => {
      if (!this.pending.has(line.id) || this.dead) return;
      if (line.status !== "retrying") {
        line.status = "retrying";
        this.emit("update", line);
      }
      this.transmit(line);
    }, RETRY_MS);
  }

  // ---- XEP-0410 self-ping ----------------------------------------------------

  // The room can drop the visitor without a word: a restarted or newly
  // active parleyd (a standby's takeover) has no occupants, and what the
  // agent says then never reaches a visitor who only reads. So when the room
  // has said nothing for config.selfPing seconds, the widget pings its own
  // occupant JID; not-acceptable means it is not in the room any more, and it
  // joins again (the history replay shows what it missed, once: stanza-ids).
  // Any other answer, or none, changes nothing (XEP-0410: only
  // not-acceptable is a definite "not joined"); the next ping comes later.
  armSelfPing(delay) {
    clearTimeout(this.pingTimer);
    this.pingTimer = null;
    const ms = (Number(this.config.selfPing) || 0) * 1000;
    if (ms <= 0 || this.dead) return;
    this.pingTimer = setTimeout(() => this.selfPing(), delay ?? ms);
    this.pingTimer?.unref?.(); // Node (the unit tests): do not hold the process
  }

  async selfPing() {
    this.pingTimer = null;
    if (this.dead || this.phase !== "chat" || !this.session) return;
    const ms = (Number(this.config.selfPing) || 0) * 1000;
    const quiet = Date.now() - this.lastRoomAt;
    if (quiet < ms || !this.connected || this.pinging) {
      this.armSelfPing(Math.max(ms - quiet, 1000));
      return;
    }
    this.pinging = true;
    const room = this.session.room;
    try {
      await this.iq(selfPingIQ(room, this.nick));
      this.lastRoomAt = Date.now();
    } catch (e) {
      if (e?.condition === "not-acceptable" && this.session?.room === room && this.phase === "chat") this.rejoin();
    } finally {
      this.pinging = false;
      if (this.phase === "chat") this.armSelfPing();
    }
  }

  // resendPending sends every line not reflected yet, oldest first.
  resendPending() {
    if (this.phase !== "chat") return;
    for (const line of this.pending.values()) {
      if (line.status === "sending") {
        line.status = "retrying";
        this.emit("update", line);
      }
      this.transmit(line);
    }
  }

  // typed is called on each edit of the composer: XEP-0085 composing, then
  // paused after a while without typing, active when emptied.
  typed(text) {
    if (!this.session || this.phase !== "chat") return;
    clearTimeout(this.pauseTimer);
    if (!text) {
      if (this.composing) {
        this.composing = false;
        this.send(chatState(this.session.room, "active"));
      }
      return;
    }
    if (!this.composing) {
      this.composing = true;
      this.send(chatState(this.session.room, "composing"));
    }
    this.pauseTimer = setTimeout(() => {
      if (!this.composing || !this.session) return;
      this.composing = false;
      this.send(chatState(this.session.room, "paused"));
    }, PAUSE_MS);
  }

  // suspend is the Suspend button: the session is suspended even when the
  // visitor has the chat open in another window too (the IQ), and this
  // window leaves the room (the presence, which alone suspends only when no
  // other window of the visitor is left in the room).
  async suspend() {
    if (!this.session || (this.phase !== "chat" && this.phase !== "joining")) return;
    const { room } = this.session;
    this.leaving = "suspend";
    clearTimeout(this.pauseTimer);
    try {
      await this.iq(suspendIQ(room));
    } catch (e) {
      console.warn("parley: suspend:", e?.condition || e);
    }
    if (this.session?.room === room) this.send(suspendPresence(room, this.nick));
  }

  async end() {
    if (!this.session || this.phase !== "chat") return;
    try {
      await this.iq(closeIQ(this.session.room));
    } catch (e) {
      if (e?.condition === "item-not-found") this.setPhase("ended");
      else console.warn("parley: close:", e);
    }
  }

  // pagehide: the window closes or navigates away, which suspends the
  // session explicitly (PROTOCOL 5). Nothing here may wait. The presence
  // says it in the stream; the beacon says it again over HTTP, because the
  // XMPP server may drop the presence when the browser's close of the
  // socket follows it too closely (Prosody 0.12, docs/servers.md). Parley
  // suspends once, whichever comes first (docs/protocol.md).
  pagehide() {
    if (this.dead) return;
    this.dead = true;
    clearTimeout(this.pauseTimer);
    clearTimeout(this.pingTimer);
    // The page is going: no resend may fire after it (the lines stay pending;
    // the next page resends what the history replay does not show).
    for (const line of this.pending.values()) clearTimeout(line.timer);
    const x = this.client;
    if (!x) return;
    if (this.session && (this.phase === "chat" || this.phase === "joining") && this.beacon && this.jid) {
      try {
        this.beacon({ session: this.session.id, token: this.token || this.jar.token, jid: this.jid });
      } catch {
        // no beacon: the presence alone
      }
    }
    if (this.session && (this.phase === "chat" || this.phase === "joining") && this.connected) {
      try {
        x.send(suspendPresence(this.session.room, this.nick)).catch(() => {});
      } catch {
        // the socket is already gone
      }
    }
    try {
      x.reconnect?.stop();
      x.stop().catch(() => {});
    } catch {
      // closing anyway
    }
  }

  // revive is the page coming back from the back/forward cache: start over.
  revive() {
    if (!this.dead) return;
    this.dead = false;
    this.client = null;
    this.connected = false;
    this.everOnline = false;
    if (this.session && (this.phase === "chat" || this.phase === "joining" || this.phase === "connecting")) {
      this.setPhase("left");
    } else if (this.phase === "connecting") {
      // Cut off asking: the form, and the probe again when the panel is open.
      this.probed = false;
      this.setPhase("form");
    }
  }
}

export { errorOf };
