// Reading the widget's configuration from its script tag's data attributes.

export const DEFAULTS = {
  websocket: "",
  domain: "",
  service: "",
  queue: "",
  lang: "en",
  strings: {},
  cookieName: "parley_token",
  cookieDays: 30,
  availability: "load", // when to ask whether anyone is there: load, open (the panel's first opening) or off
  selfPing: 30, // seconds of silence from the room before a XEP-0410 self-ping; 0: never
  beacon: "", // parleyd's suspend beacon URL; "": /beacon on the widget script's origin; "off": none
};

// readConfig turns a script tag's dataset (data-websocket, data-domain,
// data-service, data-queue, data-lang, data-strings, data-cookie-name,
// data-cookie-days, data-availability, data-self-ping, data-beacon) into a configuration, with problems listed in errors.
export function readConfig(dataset = {}, fallbackLang = "en") {
  const errors = [];
  const cfg = { ...DEFAULTS, strings: {} };
  for (const k of ["websocket", "domain", "service", "queue", "beacon"]) {
    if (typeof dataset[k] === "string") cfg[k] = dataset[k].trim();
  }
  cfg.lang = (dataset.lang || fallbackLang || "en").trim();
  if (dataset.strings) {
    try {
      const o = JSON.parse(dataset.strings);
      if (o && typeof o === "object" && !Array.isArray(o)) {
        for (const [k, v] of Object.entries(o)) {
          if (typeof v === "string") cfg.strings[k] = v;
        }
      } else {
        errors.push("data-strings must be a JSON object");
      }
    } catch {
      errors.push("data-strings is not valid JSON");
    }
  }
  if (dataset.cookieName && /^[A-Za-z0-9_-]{1,64}$/.test(dataset.cookieName)) {
    cfg.cookieName = dataset.cookieName;
  }
  if (dataset.cookieDays !== undefined && dataset.cookieDays !== "") {
    const n = Number(dataset.cookieDays);
    if (Number.isFinite(n) && n >= 0) cfg.cookieDays = n;
    else errors.push("data-cookie-days must be a number of days (0: until the browser closes)");
  }
  if (dataset.availability !== undefined && dataset.availability !== "") {
    const v = dataset.availability.trim();
    if (["load", "open", "off"].includes(v)) cfg.availability = v;
    else errors.push("data-availability must be load, open or off");
  }
  if (dataset.selfPing !== undefined && dataset.selfPing !== "") {
    const n = Number(dataset.selfPing);
    if (Number.isFinite(n) && n >= 0) cfg.selfPing = n;
    else errors.push("data-self-ping must be a number of seconds (0: never)");
  }
  if (cfg.beacon && cfg.beacon !== "off" && !/^https?:\/\//i.test(cfg.beacon)) errors.push("data-beacon must be an http:// or https:// URL, or off");
  if (!/^wss?:\/\//i.test(cfg.websocket)) errors.push("data-websocket must be a ws:// or wss:// URL");
  if (!cfg.domain) errors.push("data-domain (the anonymous host) is required");
  if (!cfg.service) errors.push("data-service (the chat service's JID) is required");
  return { config: cfg, errors };
}

// beaconURL is where the suspend beacon goes: data-beacon, or by default
// /beacon on the origin the widget's script came from (parleyd's HTTP
// listener serves both); null for "off" or when neither is known.
export function beaconURL(beacon, scriptSrc) {
  if (beacon === "off") return null;
  if (beacon) return beacon;
  try {
    return new URL("/beacon", scriptSrc).href;
  } catch {
    return null;
  }
}
