// The agent console served by parleyd at /agent/: stock Converse.js with
// Parley's plugin, configured from the page's data attributes (parleyd
// fills them from its settings). Fully offline: every asset is local.
import { register } from "./plugin.js";

const d = document.body.dataset;
register(window.converse);
window.converse.initialize({
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
  whitelisted_plugins: ["parley-agent"],
  parley_service: d.service,
  loglevel: "warn",
});
