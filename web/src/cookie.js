// The visitor token lives in a first-party cookie (PROTOCOL 3). Nothing else
// does: the service names the visitor in its <session/> answers, so the name
// cookie (NAME_nick) that earlier versions kept is removed when found.

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

// CookieJar keeps the token, or nothing when the browser refuses cookies:
// then every request goes through normal routing.
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

  save(token) {
    if (!this.enabled || !token) return;
    this.doc.cookie = serializeCookie(this.name, token, { days: this.days, secure: this.secure });
    const legacy = this.name + "_nick";
    if (legacy in parseCookies(this.doc.cookie)) this.doc.cookie = serializeCookie(legacy, "", { days: -1 });
  }
}
