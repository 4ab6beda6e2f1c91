// The Parley visitor widget: one script tag on any page.
//
//   <script src="https://chat.example.com/widget.js" defer
//           data-websocket="wss://example.com/xmpp-websocket"
//           data-domain="guest.example.com" data-service="chat.example.com"
//           data-queue="support" data-lang="en" data-cookie-days="30"></script>
//
// Its suspend beacon goes to /beacon on the script's origin (data-beacon).
import { client, xml } from "@xmpp/client";
import { readConfig, beaconURL } from "./config.js";
import { CookieJar } from "./cookie.js";
import { translator } from "./strings.js";
import { Chat, randomID } from "./chat.js";
import { UI } from "./ui.js";
import css from "./widget.css";

function makeClient({ service, domain, lang }) {
  // userAgent given here: @xmpp/client's default needs crypto.randomUUID,
  // which plain-http pages on other hosts than localhost do not have.
  return client({ service, domain, lang, userAgent: xml("user-agent", { id: randomID(16) }) });
}

function mount(script) {
  const fallbackLang = document.documentElement.lang || navigator.language || "en";
  const { config, errors } = readConfig(script.dataset, fallbackLang);
  if (errors.length) {
    console.error("parley widget: " + errors.join("; "));
    return null;
  }
  const t = translator(config.lang, config.strings);
  const jar = new CookieJar(document, { name: config.cookieName, days: config.cookieDays });
  let ui = null;
  const url = beaconURL(config.beacon, script.src);
  const beacon = url && navigator.sendBeacon ? (fields) => navigator.sendBeacon(url, new URLSearchParams(fields)) : null;
  const chat = new Chat({ config, jar, makeClient, beacon, onChange: (kind, data) => ui?.changed(kind, data) });
  const host = document.createElement("div");
  host.className = "parley-widget-host";
  document.body.append(host);
  ui = new UI({ host, chat, t, lang: config.lang, css });
  // Whether anyone is there, for the launcher and the form (an anonymous
  // login per page view; data-availability="open" waits for the panel).
  if (config.availability === "load") chat.checkAvailability();
  // Closing the window or navigating away suspends the session explicitly.
  addEventListener("pagehide", () => chat.pagehide());
  addEventListener("pageshow", (e) => {
    if (e.persisted) {
      chat.revive();
      ui.render();
      if (ui.open) chat.opened();
    }
  });
  return { chat, ui };
}

const script = document.currentScript;
function boot() {
  const w = mount(script);
  if (w) window.parley = w;
}
if (document.body) boot();
else addEventListener("DOMContentLoaded", boot, { once: true });
