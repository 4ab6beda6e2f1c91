// Parley's agent workspace: a Converse.js plugin. It registers through
// Converse's documented plugin API (converse.plugins.add, api.listen.on,
// api.listen.stanza, api.sendIQ, the getHeadingButtons/getToolbarButtons
// hooks) and draws one panel beside Converse's own views: availability,
// offers, My chats, the open chat's tools and, for supervisors, the queues.
// Everything it shows comes from the service (the <workspace/> IQ of
// docs/protocol.md), so a page reload loses nothing.
//
// Settings: parley_service (the service's JID, required).
import { S } from "./strings.js";

const NS = "urn:parley:chat:0";
const NS_MUC_USER = "http://jabber.org/protocol/muc#user";

export function register(converse) {
  converse.plugins.add("parley-agent", {
    dependencies: ["converse-muc", "converse-muc-views"],
    initialize() {
      const { _converse } = this;
      const { api } = _converse;
      const { Strophe, stx, html, u } = converse.env;
      api.settings.extend({ parley_service: "", parley_poll_seconds: 30 });

      const st = {
        ws: null, // last <workspace/> answer, parsed
        offers: new Map(), // room -> {room, session, queue, deadline, name, email, page, question}
        selected: "", // room JID of the chat the tools act on
        back: new Set(), // rooms whose visitor is back (from <reconnected/> headlines)
        declined: new Set(), // rooms whose offer this page declined
        canned: [],
        cannedFilter: "",
        details: new Map(), // room -> [{label, value}]
        status: "",
        alerts: loadAlerts(), // {sound, desktop}: offers announced while the page is in the background
        queueAgents: null, // the agents of the last pushed <queues/>, for the queues view
      };
      const service = () => api.settings.get("parley_service");
      const me = () => _converse.session?.get("bare_jid") || "";
      const nick = () => Strophe.getNodeFromJid(me()) || "agent";

      // The offer alerts are a preference of this browser.
      function loadAlerts() {
        try {
          return { sound: true, desktop: true, ...JSON.parse(localStorage.getItem("parley-alerts") || "{}") };
        } catch (_) {
          return { sound: true, desktop: true };
        }
      }
      function setAlert(kind, on) {
        st.alerts[kind] = on;
        try { localStorage.setItem("parley-alerts", JSON.stringify(st.alerts)); } catch (_) { /* private mode */ }
        // Turning the desktop notification on is the moment to ask for the browser's permission.
        if (kind === "desktop" && on && window.Notification?.permission === "default") {
          try { Notification.requestPermission(); } catch (_) { /* optional */ }
        }
        render();
      }

      // ---- the wire ----
      async function iq(type, to, child) {
        const id = u.getUniqueId("parley");
        const el = stx`<iq type="${type}" to="${to}" id="${id}" xmlns="jabber:client">${child}</iq>`;
        return api.sendIQ(el);
      }
      function child(el, name, ns = null) {
        for (const c of el?.children || []) if (c.localName === name && (!ns || c.namespaceURI === ns)) return c;
        return null;
      }
      function children(el, name) {
        return [...(el?.children || [])].filter((c) => c.localName === name);
      }
      const attrs = (el) => Object.fromEntries([...(el?.attributes || [])].map((a) => [a.name, a.value]));

      async function refresh() {
        if (!service() || !api.connection.connected()) return;
        try {
          const r = await iq("get", service(), stx`<workspace xmlns="${NS}"/>`);
          const w = child(r, "workspace", NS);
          const text = w?.outerHTML || "";
          if (text === st.last && !st.status) return;
          st.last = text;
          const unlisted = attrs(child(w, "unlisted")); // what the service left out (--workspace-max, --workspace-agents)
          st.ws = {
            me: attrs(child(w, "me")),
            sessions: children(w, "session").map((s) => ({
              ...attrs(s),
              visitor: attrs(child(s, "visitor")),
              question: child(s, "question")?.textContent || "",
            })),
            unlisted: Number(unlisted.sessions || 0),
            unlistedAgents: Number(unlisted.agents || 0),
            causes: children(w, "cause").map((c) => c.textContent),
            agents: children(w, "agent").map(attrs),
            queues: children(w, "queue").map(attrs),
          };
          st.queueAgents = null;
          if (st.ws.queues.length) await loadAll();
          for (const s of st.ws.sessions) if (s.reconnected !== "true") st.back.delete(s.room);
          const live = new Set(st.ws.sessions.map((s) => s.room));
          if (st.selected && !live.has(st.selected)) st.selected = "";
        } catch (e) {
          st.status = S.failed(S.workspace, errText(e));
        }
        render();
      }
      // Supervisors: every live session, from the service's "sessions"
      // command, each with a Monitor button (a supervisor joins as moderator).
      async function loadAll() {
        try {
          const r = await iq("set", service(), stx`<command xmlns="http://jabber.org/protocol/commands" node="sessions" action="execute"/>`);
          st.all = [...r.querySelectorAll("x > item")].map((it) => Object.fromEntries([...it.querySelectorAll("field")].map((f) => [f.getAttribute("var"), f.querySelector("value")?.textContent || ""])));
        } catch (e) {
          st.all = [];
        }
      }
      function errText(e) {
        const el = e?.querySelector?.("error");
        return el?.querySelector("text")?.textContent || el?.firstElementChild?.localName || String(e?.message || e);
      }
      async function act(what, fn) {
        try {
          await fn();
          st.status = "";
        } catch (e) {
          st.status = S.failed(what, errText(e));
        }
        await refresh();
      }

      function used(...ids) {
        for (const id of ids) {
          const el = panel?.querySelector("#" + id);
          if (el) delete el.dataset.dirty;
        }
      }
      // The agent's last choice is a preference of this browser: a reload
      // (a new connection, so a new resource the service has not seen) signs
      // in again with it.
      const PREF = "parley-availability";
      function setAvailability(show, max) {
        used("parley-show", "parley-max");
        try { localStorage.setItem(PREF, JSON.stringify({ show, max })); } catch (_) { /* private mode */ }
        if (show === "offline") {
          api.send(stx`<presence xmlns="jabber:client" to="${service()}" type="unavailable"/>`);
        } else {
          const n = Math.max(1, Math.min(1000, Number(max) || 1));
          api.send(stx`<presence xmlns="jabber:client" to="${service()}">
            ${show !== "available" ? stx`<show>${show}</show>` : ""}<agent xmlns="${NS}" max-chats="${String(n)}"/></presence>`);
        }
        setTimeout(refresh, 300);
      }
      async function openRoom(room) {
        st.selected = room;
        st.offers.delete(room);
        await api.rooms.open(room, { nick: nick() }, true);
        loadDetails(room);
        render();
      }
      function decline(room) {
        api.send(stx`<message xmlns="jabber:client" to="${room}"><x xmlns="${NS_MUC_USER}"><decline to="${room}"/></x></message>`);
        st.offers.delete(room);
        st.declined.add(room);
        render();
        setTimeout(refresh, 300);
      }
      async function loadDetails(room) {
        try {
          const r = await iq("get", room, stx`<query xmlns="http://jabber.org/protocol/disco#info"/>`);
          const fields = [...r.querySelectorAll("x > field")].filter((f) => f.getAttribute("var") !== "FORM_TYPE");
          st.details.set(room, fields.map((f) => ({ label: f.getAttribute("label") || f.getAttribute("var"), value: [...f.querySelectorAll("value")].map((v) => v.textContent).join(", ") })));
        } catch (e) {
          st.details.set(room, []);
        }
        render();
      }
      async function loadCanned() {
        try {
          const r = await iq("get", service(), stx`<canned xmlns="${NS}"/>`);
          st.canned = [...r.querySelectorAll("item")].map((i) => ({ id: i.getAttribute("id"), title: i.getAttribute("title"), body: i.textContent }));
        } catch (e) {
          st.canned = [];
        }
        render();
      }
      const roomCmd = async (what, room, el) => {
        await act(what, () => iq("set", room, el));
        loadDetails(room);
      };
      const suspend = (room, cause) => roomCmd(S.suspend, room, stx`<suspend xmlns="${NS}" cause="${cause}"/>`);
      const resume = (room) => roomCmd(S.resume, room, stx`<resume xmlns="${NS}"/>`);
      const sendCanned = (room, id) => roomCmd(S.canned, room, stx`<canned xmlns="${NS}" id="${id}"/>`);
      const comment = (room, text) => roomCmd(S.comment, room, stx`<comment xmlns="${NS}">${text}</comment>`);
      const close = (room) => roomCmd(S.close, room, stx`<close xmlns="${NS}"/>`);
      const invite = (room, agent, mode) =>
        roomCmd(mode === "transfer" ? S.transfer : S.conference, room, stx`<command xmlns="http://jabber.org/protocol/commands" node="conference" action="execute">
          <x xmlns="jabber:x:data" type="submit"><field var="jid"><value>${agent}</value></field><field var="mode"><value>${mode}</value></field></x></command>`);
      function sendLink(room, url) {
        api.send(stx`<message xmlns="jabber:client" to="${room}" type="groupchat" id="${u.getUniqueId("link")}"><body>${url}</body><x xmlns="jabber:x:oob"><url>${url}</url></x></message>`);
      }

      // ---- what arrives ----
      api.listen.on("connected", () => {
        let pref = null;
        try { pref = JSON.parse(localStorage.getItem(PREF) || "null"); } catch (_) { /* none */ }
        if (pref && pref.show && pref.show !== "offline") setAvailability(pref.show, pref.max);
        refresh();
        loadCanned();
      });
      api.listen.on("reconnected", refresh);
      // Stanza handlers need the connection: added once it is up (again
      // after a reconnect, which clears Strophe's handlers).
      function listen() {
      api.listen.stanza("message", (m) => {
        const from = m.getAttribute("from") || "";
        const room = Strophe.getBareJidFromJid(from);
        const offer = child(m, "offer", NS);
        if (offer) {
          const reason = m.querySelector("x > invite > reason")?.textContent || "";
          st.offers.set(room, { room, session: offer.getAttribute("session"), queue: offer.getAttribute("queue") || "", deadline: Date.now() + 1000 * Number(offer.getAttribute("timeout") || 30), reason });
          notify(S.offerFrom(reason.split("\n")[0] || room));
        }
        const conf = child(m, "conference", NS);
        if (conf && !offer) {
          const reason = m.querySelector("x > invite > reason")?.textContent || "";
          st.offers.set(room, { room, session: conf.getAttribute("session"), mode: conf.getAttribute("mode") || "conference",
            from: conf.getAttribute("from") || "", reason, deadline: 0, queue: "" });
          notify(S.inviteFrom(conf.getAttribute("from") || ""));
        }
        if (child(m, "withdrawn", NS)) st.offers.delete(room);
        // Supervisors: queue figures pushed by the service (docs/protocol.md).
        const qs = child(m, "queues", NS);
        if (qs && Strophe.getBareJidFromJid(from) === service()) {
          if (st.ws) st.ws.queues = children(qs, "queue").map(attrs);
          st.queueAgents = children(qs, "agent").map(attrs);
          st.queueUnlisted = Number(attrs(child(qs, "unlisted")).agents || 0);
          loadAll().then(render);
        }
        const rc = child(m, "reconnected", NS);
        if (rc && rc.getAttribute("state") === "suspended") st.back.add(Strophe.getBareJidFromJid(m.querySelector("reconnected")?.getAttribute("room") || room));
        render();
        if (offer || rc || child(m, "event", NS) || child(m, "withdrawn", NS) || conf) refresh();
        return true;
      });
      api.listen.stanza("presence", (p) => {
        if (Strophe.getBareJidFromJid(p.getAttribute("from") || "") === service()) refresh();
        return true;
      });
      }
      api.listen.on("connected", listen);
      api.listen.on("reconnected", listen);
      // Comments reach agents as groupchat lines with <comment/>: marked.
      api.listen.on("parseMUCMessage", (stanza, a) => {
        if (child(stanza, "comment", NS) && a.body) {
          // The service's own marker (for clients with no plugin) gives way to ours.
          a.body = `${S.internalNote}: ${a.body.replace(/^\[internal note[^\]]*\]\s*/, "")}`;
          a.is_parley_comment = true;
        }
        return a;
      });
      // Converse's MUC heading: a button that selects the chat in the panel.
      api.listen.on("getHeadingButtons", (view, buttons) => {
        const room = view?.model?.get?.("jid");
        if (view?.model?.get?.("type") === "chatroom") {
          buttons.unshift({ i18n_title: S.sessionButton, i18n_text: S.sessionButton, a_class: "parley-session-button", icon_class: "fa-info-circle", name: "parley-session", standalone: true, handler: (ev) => { ev?.preventDefault?.(); st.selected = room; loadDetails(room); focusPanel("#parley-session"); } });
        }
        return buttons;
      });
      // Converse's chat toolbar: a canned-response button.
      api.listen.on("getToolbarButtons", (toolbar, buttons) => {
        const room = toolbar?.model?.get?.("jid");
        if (toolbar?.model?.get?.("type") !== "chatroom") return buttons;
        buttons.push(html`<button type="button" class="parley-canned-button btn" title="${S.cannedButton}" aria-label="${S.cannedButton}" @click=${(ev) => { ev.preventDefault(); st.selected = room; render(); focusPanel("#parley-canned-search"); }}>¶</button>`);
        return buttons;
      });

      // An offer while the page is in the background: a desktop
      // notification and a sound, each unless turned off.
      function notify(text) {
        if (!document.hidden) return;
        if (st.alerts.desktop) {
          try {
            if (window.Notification?.permission === "granted") new Notification(text, { tag: "parley-offer" });
          } catch (_) { /* notifications are optional */ }
        }
        if (st.alerts.sound) {
          try {
            const base = api.settings.get("sounds_path") || `${api.settings.get("assets_path") || ""}/sounds/`;
            const a = new Audio(base + "msg_received.ogg");
            a.play()?.catch?.(() => { /* no audio device, or autoplay refused */ });
          } catch (_) { /* sounds are optional */ }
        }
      }

      // ---- the panel ----
      let panel;
      function focusPanel(sel) {
        render();
        panel?.querySelector(sel)?.focus();
      }
      function h(tag, props = {}, ...kids) {
        const el = document.createElement(tag);
        for (const [k, v] of Object.entries(props)) {
          if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
          else if (k === "class") el.className = v;
          else if (v !== undefined && v !== null && v !== false) el.setAttribute(k, v === true ? "" : v);
        }
        for (const k of kids.flat()) if (k !== null && k !== undefined && k !== false) el.append(k instanceof Node ? k : String(k));
        return el;
      }
      const section = (id, title, ...kids) => h("section", { id, class: "parley-section", "aria-labelledby": id + "-h" }, h("h2", { id: id + "-h" }, title), ...kids);
      function minutes(iso) {
        return Math.floor((Date.now() - Date.parse(iso)) / 60000);
      }

      // A queue's line; its oldest wait counts on between updates (at = when
      // the figures came, so the wait at that moment was q.oldest seconds).
      function queueItem(q) {
        if (q.oldest && !q.at) q.at = Date.now();
        const li = h("li", { "data-queue": q.name }, S.queueLine(q));
        if (q.oldest) li.parleyQueue = q;
        return li;
      }
      function queueNow(q) {
        return { ...q, oldest: String(Number(q.oldest) + Math.floor((Date.now() - q.at) / 1000)) };
      }

      function render() {
        if (!panel) {
          panel = h("aside", { id: "parley-workspace", role: "complementary", "aria-label": S.workspace });
          // What the agent typed or chose survives the panel's re-renders until used.
          const mark = (ev) => { if (ev.target.id) ev.target.dataset.dirty = "1"; };
          panel.addEventListener("input", mark);
          panel.addEventListener("change", mark);
          document.body.append(panel);
          // The countdowns tick in place; an expired offer goes at the next render.
          setInterval(() => {
            for (const el of panel.querySelectorAll(".parley-countdown[data-deadline]")) {
              const left = Math.ceil((Number(el.dataset.deadline) - Date.now()) / 1000);
              if (left <= 0) { render(); return; }
              el.textContent = S.expiresIn(left);
            }
            for (const li of panel.querySelectorAll("#parley-queue-list li")) if (li.parleyQueue) li.textContent = S.queueLine(queueNow(li.parleyQueue));
          }, 1000);
          const poll = Number(api.settings.get("parley_poll_seconds"));
          if (poll > 0) setInterval(refresh, 1000 * poll);
        }
        const keep = document.activeElement && panel.contains(document.activeElement) ? document.activeElement.id : "";
        const dirty = {};
        for (const el of panel.querySelectorAll("input[id], select[id], textarea[id]")) if (el.dataset.dirty) dirty[el.id] = el.value;
        const ws = st.ws || { me: {}, sessions: [], causes: [], agents: [], queues: [] };
        const kids = [];
        // Availability.
        const meShow = ws.me.show || "offline";
        const showSel = h("select", { id: "parley-show", "aria-label": S.availability },
          ...["available", "away", "dnd", "offline"].map((v) => h("option", { value: v, selected: (meShow === v || (meShow === "chat" && v === "available") || (meShow === "xa" && v === "away")) }, S.show[v])));
        const maxIn = h("input", { id: "parley-max", type: "number", min: "1", max: "1000", value: ws.me.capacity || "3", "aria-label": S.maxChats });
        kids.push(section("parley-availability", S.availability,
          h("div", { class: "parley-row" }, showSel, h("label", {}, S.maxChats, " ", maxIn),
            h("button", { id: "parley-apply", type: "button", onclick: () => setAvailability(showSel.value, maxIn.value) }, S.apply)),
          h("p", { id: "parley-load", role: "status" }, meShow === "offline" ? S.signedOut : `${S.show[meShow] || meShow} · ${S.load(ws.me.load || 0, ws.me.capacity || 0)}`),
          h("fieldset", { class: "parley-alerts" }, h("legend", {}, S.alerts),
            h("label", {}, h("input", { id: "parley-sound", type: "checkbox", checked: st.alerts.sound, onchange: (ev) => setAlert("sound", ev.target.checked) }), " ", S.alertSound),
            h("label", {}, h("input", { id: "parley-desktop", type: "checkbox", checked: st.alerts.desktop, onchange: (ev) => setAlert("desktop", ev.target.checked) }), " ", S.alertDesktop))));
        // Offers.
        const offers = [...st.offers.values()].filter((o) => !o.deadline || o.deadline > Date.now());
        if (offers.length) {
          kids.push(section("parley-offers", S.offers, ...offers.map((o) => {
            const s = ws.sessions.find((x) => x.room === o.room);
            const v = s?.visitor || {};
            const name = v.name || o.reason.split("\n")[0] || o.room;
            const title = o.mode ? S.invited(o.mode, o.from) : S.offerFrom(name);
            return h("article", { class: "parley-offer" + (o.mode ? " parley-invite" : ""), role: "alertdialog", "aria-label": title, "data-room": o.room },
              h("h3", {}, title), o.mode && o.reason ? h("p", {}, o.reason) : null,
              h("dl", {}, v.email && [h("dt", {}, S.email), h("dd", {}, v.email)], v.page && [h("dt", {}, S.page), h("dd", {}, v.page)],
                (s?.question) && [h("dt", {}, S.question), h("dd", {}, s.question)], h("dt", {}, S.queue), h("dd", {}, o.queue || s?.queue || "")),
              o.deadline ? h("p", { class: "parley-countdown", "data-deadline": String(o.deadline), "aria-live": "off" }, S.expiresIn(Math.max(0, Math.ceil((o.deadline - Date.now()) / 1000)))) : null,
              h("div", { class: "parley-row" },
                h("button", { type: "button", class: "parley-accept", onclick: () => openRoom(o.room) }, S.accept),
                h("button", { type: "button", class: "parley-decline", onclick: () => decline(o.room) }, S.decline)));
          })));
        }
        // My chats: returning visitors first.
        const mine = ws.sessions.filter((s) => s.role !== "offer");
        const isBack = (s) => s.state === "suspended" && (s.reconnected === "true" || st.back.has(s.room));
        mine.sort((a, b) => isBack(b) - isBack(a));
        // Queued offers the agent may still take come last, without an Open
        // button: the offer card above accepts or declines them.
        const offered = ws.sessions.filter((s) => s.role === "offer" && !st.declined.has(s.room));
        kids.push(section("parley-chats", S.myChats, mine.length + offered.length === 0 ? h("p", {}, S.noChats) :
          h("ul", { role: "list" }, ...mine.map((s) => {
            const name = s.visitor.name || s.id;
            const room = _converse.state?.chatboxes?.get(s.room);
            // Converse counts every unread line of a room in num_unread_general (num_unread: mentions only).
            const unread = room?.get("num_unread_general") || room?.get("num_unread") || 0;
            return h("li", { class: "parley-chat" + (s.room === st.selected ? " parley-selected" : "") + (isBack(s) ? " parley-back" : ""), "data-room": s.room },
              h("button", { type: "button", class: "parley-open", onclick: () => openRoom(s.room), "aria-current": s.room === st.selected ? "true" : null },
                h("strong", {}, name), " ", h("span", { class: "parley-state" }, S.state[s.state] || s.state, s.cause ? ` (${s.cause})` : "", S.role[s.role] ? ` · ${S.role[s.role]}` : ""),
                " · ", S.waiting(minutes(s.started)), unread ? [" · ", h("span", { class: "parley-unread" }, S.unread(unread))] : null),
              isBack(s) ? h("p", { class: "parley-isback", role: "alert" }, S.isBack(name), " ",
                h("button", { type: "button", class: "parley-resume-back", onclick: () => { openRoom(s.room); resume(s.room); } }, S.resume)) : null);
          }), ...offered.map((s) => h("li", { class: "parley-chat parley-offered", "data-room": s.room, "data-role": "offer" },
            h("strong", {}, s.visitor.name || s.id), " ", h("span", { class: "parley-state" }, S.state.queued, " · ", S.role.offer),
            " · ", S.waiting(minutes(s.started))))),
          ws.unlisted ? h("p", { class: "parley-unlisted", role: "note" }, S.unlisted(ws.unlisted)) : null));
        // The selected chat's tools.
        const cur = ws.sessions.find((s) => s.room === st.selected && s.role !== "offer");
        if (!cur) {
          kids.push(section("parley-session", S.session, h("p", {}, S.noSession)));
        } else {
          const r = cur.room;
          const det = st.details.get(r) || [];
          const causeSel = h("select", { id: "parley-cause", "aria-label": S.cause }, ...ws.causes.map((c) => h("option", { value: c }, c)));
          const search = h("input", { id: "parley-canned-search", type: "search", placeholder: S.search, "aria-label": S.canned + ": " + S.search, value: st.cannedFilter,
            oninput: (ev) => { st.cannedFilter = ev.target.value; render(); } });
          const f = st.cannedFilter.toLowerCase();
          const canned = st.canned.filter((c) => !f || c.title.toLowerCase().includes(f) || c.body.toLowerCase().includes(f));
          const note = h("textarea", { id: "parley-comment-text", rows: "2", "aria-label": S.comment });
          const link = h("input", { id: "parley-link-url", type: "url", "aria-label": S.link, placeholder: "https://" });
          const agentSel = h("select", { id: "parley-agent", "aria-label": S.agents }, ...ws.agents.map((a) => h("option", { value: a.jid }, S.agentLine(a))));
          kids.push(section("parley-session", `${S.session}: ${cur.visitor.name || cur.id}`,
            h("h3", {}, S.details),
            h("dl", { id: "parley-details" }, ...det.map((d) => [h("dt", {}, d.label), h("dd", {}, d.value)])),
            h("div", { class: "parley-row" },
              cur.state === "suspended"
                ? h("button", { id: "parley-resume", type: "button", onclick: () => resume(r) }, S.resume)
                : [causeSel, h("button", { id: "parley-suspend", type: "button", onclick: () => suspend(r, causeSel.value) }, S.suspend)],
              h("button", { id: "parley-close", type: "button", onclick: async () => { if (await api.confirm(S.close, [S.confirmClose(cur.visitor.name || cur.id)])) close(r); } }, S.close)),
            h("h3", {}, S.canned), search,
            h("ul", { id: "parley-canned", role: "listbox", "aria-label": S.canned }, ...canned.map((c) =>
              h("li", { role: "option", tabindex: "0", class: "parley-canned-item", "data-id": c.id, title: c.body,
                onclick: () => sendCanned(r, c.id), onkeydown: (ev) => { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); sendCanned(r, c.id); } } }, h("strong", {}, c.title), " ", c.body))),
            h("h3", {}, S.comment), note,
            h("button", { id: "parley-comment", type: "button", onclick: () => { const t = note.value.trim(); used("parley-comment-text"); if (t) comment(r, t); } }, S.addComment),
            h("h3", {}, S.link), h("div", { class: "parley-row" }, link, h("button", { id: "parley-link", type: "button", onclick: () => { const v = link.value; used("parley-link-url"); if (v) { sendLink(r, v); render(); } } }, S.send)),
            h("h3", {}, S.agents), ws.agents.length === 0 ? h("p", {}, S.noAgents) : h("div", { class: "parley-row" }, agentSel,
              h("button", { id: "parley-conference", type: "button", onclick: () => invite(r, agentSel.value, "conference") }, S.conference),
              h("button", { id: "parley-transfer", type: "button", onclick: () => invite(r, agentSel.value, "transfer") }, S.transfer)),
            ws.unlistedAgents ? h("p", { class: "parley-unlisted-agents", role: "note" }, S.unlistedAgents(ws.unlistedAgents)) : null));
        }
        if (ws.queues.length) {
          const unlistedAgents = st.queueAgents ? st.queueUnlisted : ws.unlistedAgents; // the pushed list's count, or the workspace's
          kids.push(section("parley-queues", S.queues,
            h("ul", { role: "list", id: "parley-queue-list" }, ...ws.queues.map((q) => queueItem(q))),
            h("ul", { role: "list", id: "parley-agent-list" }, ...(st.queueAgents || ws.agents).map((a) => h("li", {}, S.agentLine(a)))),
            unlistedAgents ? h("p", { class: "parley-unlisted-agents", role: "note" }, S.unlistedAgents(unlistedAgents)) : null,
            h("h3", {}, S.allChats),
            (st.all || []).length === 0 ? h("p", {}, S.noChats) : h("ul", { role: "list", id: "parley-all-list" }, ...st.all.map((x) =>
              h("li", { class: "parley-all", "data-room": x.room }, S.allLine(x), " ",
                h("button", { type: "button", class: "parley-monitor", "aria-label": S.monitorChat(x.visitor || x.room), onclick: () => openRoom(x.room) }, S.monitor))))));
        }
        if (st.status) kids.push(h("p", { id: "parley-error", role: "alert" }, st.status));
        panel.replaceChildren(...kids);
        for (const [id, v] of Object.entries(dirty)) {
          const el = panel.querySelector("#" + id);
          if (el) Object.assign(el, { value: v }).dataset.dirty = "1";
        }
        if (keep) panel.querySelector("#" + keep)?.focus();
      }
      api.listen.on("chatRoomViewInitialized", () => render());
      // Unread counts in My chats follow Converse's own as lines arrive and rooms are opened.
      api.listen.on("connected", () => {
        const boxes = _converse.state?.chatboxes;
        if (boxes && !boxes.parleyUnread) {
          boxes.parleyUnread = true;
          boxes.on("change:num_unread_general change:num_unread", () => render());
        }
      });
      api.listen.on("connected", render);
      Object.assign(_converse, { parley: { refresh, state: st, setNotifications: (on) => setAlert("desktop", on), setSound: (on) => setAlert("sound", on) } });
    },
  });
}
