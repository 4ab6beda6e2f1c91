// The visitor token lives in a first-party cookie (PROTOCOL 3), with the
// visitor's name beside it so a reconnect joins under the same nick.

// serializeCookie renders a Set-Cookie string for document.cookie. days 0
// makes a session cookie; a negative number deletes it.
export function serializeCookie(name, value, { days = 30, secure = false } = {}) {
  let s = `${name}=${encodeURIComponent(value)}; Path=/; SameSite=Lax`;
  if (days < 0) s += "; Max-Age=0";
  else if (days > 0) s += `; Max-Age=${Math.round(days * 86400)}`;
  if (secure) s += "; Secure";
  return s;
}

// parseCookies reads a document.cookie string into an object.
export function parseCookies(header) {
  const out = {};
  for (const part of String(header || "").split(";")) {
    const i = part.indexOf("=");
    if (i < 0) continue;
    const k = part.slice(0, i).trim();
    if (!k || k in out) continue;
    try {
      out[k] = decodeURIComponent(part.slice(i + 1).trim());
    } catch {
      out[k] = part.slice(i + 1).trim();
    }
  }
  return out;
}

// CookieJar keeps the token and name, or nothing when the browser refuses
// cookies: then every request goes through normal routing.
export class CookieJar {
  constructor(doc, { name = "parley_token", days = 30 } = {}) {
    this.doc = doc;
    this.name = name;
    this.days = days;
    this.secure = doc?.location?.protocol === "https:";
    this.enabled = CookieJar.usable(doc);
  }

  static usable(doc) {
    try {
      if (typeof navigator !== "undefined" && navigator.cookieEnabled === false) return false;
      const probe = "parley_probe";
      doc.cookie = serializeCookie(probe, "1", { days: 0 });
      const ok = parseCookies(doc.cookie)[probe] === "1";
      doc.cookie = serializeCookie(probe, "", { days: -1 });
      return ok;
    } catch {
      return false;
    }
  }

  get token() {
    return this.enabled ? parseCookies(this.doc.cookie)[this.name] || "" : "";
  }

  get nick() {
    return this.enabled ? parseCookies(this.doc.cookie)[this.name + "_nick"] || "" : "";
  }

  save(token, nick) {
    if (!this.enabled) return;
    const opts = { days: this.days, secure: this.secure };
    if (token) this.doc.cookie = serializeCookie(this.name, token, opts);
    if (nick) this.doc.cookie = serializeCookie(this.name + "_nick", nick, opts);
  }
}
