// The agent console served by parleyd at /agent/: stock Converse.js with
// Parley's plugin, configured from the page's data attributes (parleyd
// fills them from its settings). Fully offline: every asset is local.
import { register } from "./plugin.js";
import { S } from "./strings.js";

const d = document.body.dataset;
const conv = window.converse;
register(conv);
// The console's own touches to Converse's page: the fullscreen footer
// without the sponsors' logos, which Converse loads from its website (the
// console requests nothing from outside the company's own hosts). Through
// Converse's documented api.elements.define, which replaces an element's
// definition until converse.initialize registers them.
conv.plugins.add("parley-console", {
  initialize() {
    const { api } = this._converse;
    class Footer extends HTMLElement {
      connectedCallback() {
        if (this.childElementCount) return;
        const p = document.createElement("p");
        p.className = "brand-subtitle subdued parley-footer";
        p.textContent = S.footer;
        this.append(p);
      }
    }
    api.elements.define("converse-footer", Footer);
  },
});
// ?poll=SECONDS in the page's address sets how often the panel asks the
// service for the workspace (0: never; pushes and events still update it).
const poll = new URLSearchParams(location.search).get("poll");
conv.initialize({
  view_mode: "fullscreen",
  websocket_url: d.websocket,
  default_domain: d.agentDomain || undefined,
  discover_connection_methods: false,
  assets_path: d.assets,
  use_system_emojis: true,
  muc_nickname_from_jid: true,
  allow_registration: false,
  xmpp_providers_url: "",
  autocomplete_providers_url: "",
  // Parley's offers and conference invitations are the plugin's cards.
  allow_muc_invitations: false,
  whitelisted_plugins: ["parley-agent", "parley-console"],
  // No OMEMO: a chat's room must stay readable by the service (transcripts)
  // and by the visitor's widget, which has no end-to-end encryption. Left on,
  // Converse also fetches its library and WebAssembly (several times) at
  // each sign-in.
  blacklisted_plugins: ["converse-omemo", "converse-omemo-views"],
  parley_service: d.service,
  ...(poll !== null && poll !== "" && !Number.isNaN(Number(poll)) ? { parley_poll_seconds: Number(poll) } : {}),
  loglevel: "warn",
});
