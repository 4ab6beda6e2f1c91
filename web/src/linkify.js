// Splitting message text into plain text and web links, so links render as
// <a> elements and nothing else from a message ever becomes markup.

const URL_RE = /\bhttps?:\/\/[^\s<>"]+/gi;
const TRAILING = /[.,;:!?)\]}'"]+$/;

// safeURL returns url when it is an absolute http(s) URL, else "".
export function safeURL(url) {
  try {
    const u = new URL(String(url));
    return u.protocol === "http:" || u.protocol === "https:" ? u.href : "";
  } catch {
    return "";
  }
}

// linkify returns parts {text} and {text, href} in order.
export function linkify(text) {
  const s = String(text || "");
  const out = [];
  let last = 0;
  for (const m of s.matchAll(URL_RE)) {
    let url = m[0];
    const trail = url.match(TRAILING);
    if (trail) {
      // Keep a closing bracket that has its opening one inside the URL.
      let t = trail[0];
      if (t.startsWith(")") && url.slice(0, -t.length).includes("(")) t = t.slice(1);
      url = url.slice(0, url.length - t.length);
    }
    const href = safeURL(url);
    if (!href) continue;
    if (m.index > last) out.push({ text: s.slice(last, m.index) });
    out.push({ text: url, href });
    last = m.index + url.length;
  }
  if (last < s.length) out.push({ text: s.slice(last) });
  return out;
}
