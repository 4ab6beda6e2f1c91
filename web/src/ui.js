// The widget's DOM, in a shadow root so the host page's styles neither break
// it nor are broken by it. Nothing from a message ever becomes markup: text
// goes in as text, links as <a> elements built here.
import { linkify, safeURL } from "./linkify.js";
import { eventText, statusText, availabilityText } from "./events.js";

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v === null || v === undefined) continue;
    if (k === "class") el.className = v;
    else if (k === "text") el.textContent = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export class UI {
  constructor({ host, chat, t, lang, css }) {
    this.chat = chat;
    this.t = t;
    this.lang = lang;
    this.open = false;
    this.unread = 0;
    const root = host.attachShadow({ mode: "open" });
    if (css) {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(css);
      root.adoptedStyleSheets = [sheet];
    }
    this.time = new Intl.DateTimeFormat(lang, { hour: "2-digit", minute: "2-digit" });
    this.dateTime = new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" });
    this.build(root);
    this.render();
  }

  build(root) {
    const t = this.t;
    this.launcher = h("button", {
      type: "button",
      class: "launcher",
      "aria-expanded": "false",
      "aria-controls": "parley-panel",
      onclick: () => this.toggle(),
    }, h("span", { class: "launcher-icon", "aria-hidden": "true" }), h("span", { class: "launcher-label", text: t("launcher") }),
      h("span", { class: "launcher-availability", "aria-hidden": "true" }));

    // Pre-chat form.
    this.nameInput = h("input", { id: "parley-name", name: "name", type: "text", autocomplete: "name", required: true, maxlength: "80", "aria-describedby": "parley-form-error" });
    this.emailInput = h("input", { id: "parley-email", name: "email", type: "email", autocomplete: "email", maxlength: "200", "aria-describedby": "parley-form-error" });
    this.questionInput = h("textarea", { id: "parley-question", name: "question", rows: "3", maxlength: "2000" });
    this.formError = h("p", { id: "parley-form-error", class: "form-error", role: "alert" });
    // Availability before the request, and the switch between asking for a
    // chat and leaving a message (docs/protocol.md, Waiting visitors).
    this.availabilityLine = h("p", { class: "availability", role: "status" });
    this.intro = h("p", { class: "intro", text: t("intro") });
    this.questionLabel = h("label", { for: "parley-question", text: t("question") });
    this.submitButton = h("button", { type: "submit", class: "primary", text: t("start") });
    this.modeButton = h("button", { type: "button", class: "link-button", onclick: () => this.chat.setMessageMode(!this.chat.messageMode) });
    this.form = h("form", { class: "prechat", novalidate: true, onsubmit: (e) => this.submit(e) },
      this.availabilityLine, this.intro,
      h("label", { for: "parley-name", text: t("name") }), this.nameInput,
      h("label", { for: "parley-email", text: t("email") }), this.emailInput,
      this.questionLabel, this.questionInput,
      this.formError,
      this.submitButton, this.modeButton);
    this.sentText = h("p", { class: "sent-text" });
    this.sentBox = h("div", { class: "after sent" }, this.sentText,
      h("button", { type: "button", text: t("newChat"), onclick: () => this.newChat() }));

    this.connecting = h("p", { class: "connecting", role: "status", text: t("connecting") });

    // Reconnect prompt.
    this.promptWhen = h("p", { class: "prompt-when" });
    this.yes = h("button", { type: "button", class: "primary", text: t("yes"), onclick: () => this.chat.answer(true) });
    this.no = h("button", { type: "button", text: t("no"), onclick: () => this.chat.answer(false) });
    this.prompt = h("div", { class: "prompt", role: "group", "aria-labelledby": "parley-prompt-text" },
      h("p", { id: "parley-prompt-text", class: "prompt-text", text: t("promptText") }), this.promptWhen,
      h("div", { class: "buttons" }, this.yes, this.no));

    // Error.
    this.errorText = h("p", { class: "error-text", role: "alert" });
    this.errorBox = h("div", { class: "error-box" }, this.errorText,
      h("button", { type: "button", class: "primary", text: t("retry"), onclick: () => this.retry() }));

    // The conversation.
    this.log = h("ol", { class: "log", role: "log", "aria-live": "polite", "aria-label": t("messages"), tabindex: "0" });
    this.typingLine = h("p", { class: "typing", "aria-live": "polite" });
    this.composerInput = h("textarea", {
      id: "parley-message", rows: "1", maxlength: "4000", "aria-label": t("message"), placeholder: t("message"),
      oninput: () => this.chat.typed(this.composerInput.value),
      onkeydown: (e) => {
        if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
          e.preventDefault();
          this.sendFromComposer();
        }
      },
    });
    this.composer = h("form", { class: "composer", onsubmit: (e) => { e.preventDefault(); this.sendFromComposer(); } },
      this.composerInput, h("button", { type: "submit", class: "primary send", text: t("send") }));
    this.suspendButton = h("button", { type: "button", text: t("suspend"), onclick: () => this.chat.suspend() });
    this.endButton = h("button", { type: "button", text: t("endChat"), onclick: () => this.confirmEnd(true) });
    this.actions = h("div", { class: "actions" }, this.suspendButton, this.endButton);
    this.confirmYes = h("button", { type: "button", class: "danger", text: t("endChat"), onclick: () => { this.confirmEnd(false); this.chat.end(); } });
    this.confirmNo = h("button", { type: "button", text: t("cancel"), onclick: () => this.confirmEnd(false) });
    this.confirm = h("div", { class: "confirm", role: "group", "aria-labelledby": "parley-confirm-text", hidden: true },
      h("span", { id: "parley-confirm-text", text: t("confirmEnd") }), this.confirmYes, this.confirmNo);
    this.leftBox = h("div", { class: "after" }, h("p", { text: t("leftText") }),
      h("button", { type: "button", class: "primary", text: t("returnToChat"), onclick: () => this.chat.returnToChat() }));
    this.endedBox = h("div", { class: "after" }, h("p", { text: t("endedText") }),
      h("button", { type: "button", class: "primary", text: t("newChat"), onclick: () => this.newChat() }));
    this.conversation = h("div", { class: "conversation" }, this.log, this.typingLine, this.composer, this.actions, this.confirm, this.leftBox, this.endedBox);

    this.status = h("p", { class: "status", role: "status", "aria-live": "polite" });
    this.panel = h("section", { id: "parley-panel", class: "panel", role: "dialog", "aria-modal": "false", "aria-labelledby": "parley-title", hidden: true,
      onkeydown: (e) => { if (e.key === "Escape") { e.stopPropagation(); this.setOpen(false); } } },
      h("header", {},
        h("div", { class: "heading" }, h("h2", { id: "parley-title", text: t("title") }), this.status),
        h("button", { type: "button", class: "minimize", "aria-label": t("minimize"), title: t("minimize"), onclick: () => this.setOpen(false) },
          h("span", { "aria-hidden": "true", text: "\u2013" }))),
      h("div", { class: "body" }, this.form, this.connecting, this.prompt, this.errorBox, this.sentBox, this.conversation));

    this.root = h("div", { class: "parley", lang: this.lang, "data-state": "closed" }, this.panel, this.launcher);
    root.append(this.root);
  }

  // ---- events from the chat ------------------------------------------------

  changed(kind, data) {
    switch (kind) {
      case "line":
        this.addLine(data);
        if (!this.open && !data.mine && !data.history) {
          this.unread++;
          this.renderLauncher();
        }
        return;
      case "update":
        this.updateLine(data);
        return;
      case "reset":
        this.log.replaceChildren();
        return;
      case "typing":
        this.renderTyping();
        return;
      case "draft":
        if (!this.composerInput.value) this.composerInput.value = data;
        return;
      case "name":
        // The visitor's name in the chat declined at the prompt.
        if (!this.nameInput.value) this.nameInput.value = data;
        return;
      case "error":
        this.formError.textContent = this.t(data.key, { reason: data.reason });
        this.render();
        this.focusView();
        return;
      case "phase":
        this.render();
        this.focusView();
        return;
      default:
        this.render();
    }
  }

  // ---- user actions ----------------------------------------------------------

  toggle() {
    this.setOpen(!this.open);
  }

  setOpen(open) {
    this.open = open;
    if (open) {
      this.unread = 0;
      this.chat.opened(); // the first time with a token: the probe
      if (this.chat.config.availability !== "off" && this.chat.phase === "form" && !this.chat.session) this.chat.checkAvailability();
    }
    this.render();
    if (open) this.focusView();
    else this.launcher.focus();
  }

  submit(e) {
    e.preventDefault();
    const name = this.nameInput.value.trim();
    const email = this.emailInput.value.trim();
    this.nameInput.removeAttribute("aria-invalid");
    this.emailInput.removeAttribute("aria-invalid");
    this.formError.textContent = "";
    if (!name) {
      this.nameInput.setAttribute("aria-invalid", "true");
      this.formError.textContent = this.t("required");
      this.nameInput.focus();
      return;
    }
    if (email && !EMAIL_RE.test(email)) {
      this.emailInput.setAttribute("aria-invalid", "true");
      this.formError.textContent = this.t("badEmail");
      this.emailInput.focus();
      return;
    }
    const question = this.questionInput.value.trim();
    if (this.chat.messageMode) {
      if (!question) {
        this.questionInput.setAttribute("aria-invalid", "true");
        this.formError.textContent = this.t("messageRequired");
        this.questionInput.focus();
        return;
      }
      this.chat.leaveMessage({ name, email, question });
      return;
    }
    this.chat.start({ name, email, question });
  }

  sendFromComposer() {
    if (this.chat.sendMessage(this.composerInput.value)) {
      this.composerInput.value = "";
    }
    this.composerInput.focus();
  }

  confirmEnd(show) {
    this.confirm.hidden = !show;
    this.actions.hidden = show;
    (show ? this.confirmNo : this.endButton).focus();
  }

  newChat() {
    this.questionInput.value = "";
    this.composerInput.value = "";
    this.chat.newChat();
  }

  retry() {
    this.chat.retry();
  }

  // ---- rendering -------------------------------------------------------------

  focusView() {
    if (!this.open) return;
    const p = this.chat.phase;
    const target = {
      form: this.formError.textContent ? this.nameInput.getAttribute("aria-invalid") ? this.nameInput : this.form.querySelector("button[type=submit]") : this.nameInput.value ? this.questionInput : this.nameInput,
      prompt: this.yes,
      chat: this.composerInput,
      left: this.leftBox.querySelector("button"),
      ended: this.endedBox.querySelector("button"),
      error: this.errorBox.querySelector("button"),
      sent: this.sentBox.querySelector("button"),
    }[p];
    if (target) target.focus();
  }

  renderLauncher() {
    const label = this.unread > 0 ? this.t("launcherUnread", { count: this.unread }) : this.t("launcher");
    this.launcher.querySelector(".launcher-label").textContent = label;
    this.launcher.setAttribute("aria-label", label);
    this.launcher.setAttribute("aria-expanded", String(this.open));
    this.launcher.classList.toggle("unread", this.unread > 0);
    const a = this.chat.availability;
    const avail = a && !this.chat.session ? availabilityText(this.t, a, true) : "";
    const span = this.launcher.querySelector(".launcher-availability");
    if (span.textContent !== avail) span.textContent = avail;
    // The button's name stays "Chat with us"; the availability describes it.
    if (avail) this.launcher.setAttribute("aria-description", avail);
    else this.launcher.removeAttribute("aria-description");
    this.root.dataset.availability = a ? a.status : "";
  }

  render() {
    const c = this.chat;
    const p = c.phase;
    this.root.dataset.state = this.open ? p : "closed";
    this.root.dataset.phase = p;
    this.root.dataset.session = c.session?.id || "";
    this.root.dataset.sessionState = c.session?.state || "";
    this.panel.hidden = !this.open;
    this.renderLauncher();
    this.form.hidden = p !== "form";
    this.connecting.hidden = !(p === "connecting" || p === "joining" && !c.catchingUp);
    this.prompt.hidden = p !== "prompt";
    this.errorBox.hidden = p !== "error";
    this.sentBox.hidden = p !== "sent";
    if (p === "sent") this.sentText.textContent = this.t("sentText", { name: c.details?.name || "" });
    const msg = !!c.messageMode;
    this.root.dataset.mode = msg ? "message" : "chat";
    this.availabilityLine.textContent = c.availability ? availabilityText(this.t, c.availability, false) : "";
    this.availabilityLine.hidden = !c.availability;
    this.intro.textContent = this.t(msg ? "introMessage" : "intro");
    this.questionLabel.textContent = this.t(msg ? "yourMessage" : "question");
    this.submitButton.textContent = this.t(msg ? "sendMessage" : "start");
    this.modeButton.textContent = this.t(msg ? "chatInstead" : "messageInstead");
    if (p === "error") this.errorText.textContent = this.t("connectFailed");
    if (p === "prompt" && c.offered) {
      const when = c.offered.started ? new Date(c.offered.started) : null;
      this.promptWhen.textContent = when && !isNaN(when) ? this.t("promptStarted", { time: this.dateTime.format(when) }) : "";
    }
    const inRoom = p === "chat" || p === "left" || p === "ended" || c.catchingUp;
    this.conversation.hidden = !inRoom;
    this.composer.hidden = !(p === "chat" || c.catchingUp);
    this.actions.hidden = p !== "chat" || !this.confirm.hidden;
    if (p !== "chat") this.confirm.hidden = true;
    this.leftBox.hidden = p !== "left";
    this.endedBox.hidden = p !== "ended";
    let status = statusText(this.t, { phase: p, state: c.session?.state, position: c.position, agent: c.agent, wait: c.wait });
    if (c.notice) status = this.t(c.notice);
    if (this.status.textContent !== status) this.status.textContent = status;
    this.renderTyping();
  }

  renderTyping() {
    const who = [...this.chat.typing];
    this.typingLine.textContent = who.length && this.chat.phase === "chat" ? this.t("typing", { who: who.join(", ") }) : "";
  }

  stamp(at) {
    const d = at instanceof Date && !isNaN(at) ? at : new Date();
    return h("time", { datetime: d.toISOString(), text: this.time.format(d) });
  }

  addLine(line) {
    const t = this.t;
    let li;
    if (line.kind === "system") {
      const text = line.key ? t(line.key) : eventText(t, line.event || {}, line.body);
      li = h("li", { class: "system", "data-event": line.event?.type || line.key || "" },
        h("span", { class: "text", text }), " ", this.stamp(line.at));
    } else {
      const who = line.mine ? t("you") : line.nick || t("agent");
      const body = h("p", { class: "body" }, linkify(line.body).map((part) => part.href
        ? h("a", { href: part.href, target: "_blank", rel: "noopener noreferrer nofollow", text: part.text })
        : part.text));
      const links = (line.links || []).map((l) => {
        const href = safeURL(l.url);
        return href ? h("p", { class: "link" }, h("a", { href, target: "_blank", rel: "noopener noreferrer nofollow", text: l.desc || l.url })) : null;
      });
      // A body that is only the attached link's URL (XEP-0066, e.g. a file
      // an agent uploaded) is shown once, as the link.
      const bodyIsLink = (line.links || []).some((l) => l.url && l.url === (line.body || "").trim());
      li = h("li", { class: line.mine ? "message mine" : "message theirs", "data-status": line.status || "sent" },
        h("p", { class: "meta" }, h("span", { class: "who", text: who }), " ", this.stamp(line.at)),
        line.body && !bodyIsLink ? body : null, links, h("p", { class: "failed", role: "status", hidden: line.status === "sent" }));
    }
    line.el = li;
    this.log.append(li);
    this.updateLine(line);
    li.scrollIntoView?.({ block: "end" });
  }

  updateLine(line) {
    const li = line.el;
    if (!li || line.kind !== "message") return;
    li.dataset.status = line.status;
    // The sending states (docs/protocol.md, Messages sent exactly once).
    const failed = li.querySelector(".failed");
    const text = { sending: this.t("sending"), retrying: this.t("retrying"), failed: this.t("sendFailed", { reason: line.error || "" }) }[line.status] || "";
    failed.hidden = !text;
    failed.textContent = text;
  }
}
