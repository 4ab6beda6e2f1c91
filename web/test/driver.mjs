// A small remote control for Debian's Chromium, driven by playwright-core, for
// the Go browser tests (e2e/browser_driver_test.go): the scenarios live in Go next to
// the real parleyd and the agents' XMPP clients; this script only does what
// each line on stdin asks and answers with one line on stdout.
//
//   in:  {"id": 1, "op": "click", "page": "p1", "target": "role=button[name=\"Chat with us\"]"}
//   out: {"id": 1, "ok": true, "value": …}  or  {"id": 1, "ok": false, "error": "…"}
//
// Targets are Playwright selectors; they reach into the widget's open shadow root.
// Environment: PARLEY_CHROMIUM (default /usr/bin/chromium).
import { chromium } from "playwright-core";
import { createInterface } from "node:readline";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

const executablePath = process.env.PARLEY_CHROMIUM || "/usr/bin/chromium";
const args = [
  "--no-sandbox",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
  "--disable-gpu",
  "--disable-quic",
  "--disable-sync",
  "--disable-features=Translate,OptimizationHints,MediaRouter",
];
const TIMEOUT = 15000;

let server = null; // a BrowserServer, so that kill can end the process like a power cut
let browser = null;
let context = null;
let profile = null; // the user data dir of a persistent context
let blocked = []; // requests the offline op aborted
let nonLocal = []; // requests and WebSockets to hosts other than this machine's (localOnly)
const dupWS = { match: "", done: false }; // dupWebSocket: the frame to send twice
const pages = new Map(); // name -> {page, requests, sockets, console, errors}

async function shutdown() {
  for (const p of pages.values()) p.page.removeAllListeners?.();
  pages.clear();
  try {
    if (context && !browser) await context.close();
  } catch {}
  try {
    if (browser) await browser.close();
  } catch {}
  try {
    if (server) await server.close();
  } catch {}
  if (profile) rmSync(profile, { recursive: true, force: true });
  server = browser = context = profile = null;
}

function track(page) {
  const rec = { page, requests: [], sockets: [], console: [], errors: [] };
  page.on("request", (r) => rec.requests.push(r.url()));
  page.on("websocket", (ws) => {
    rec.sockets.push(ws.url());
    if (!isLocal(ws.url())) nonLocal.push(ws.url());
  });
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") rec.console.push(`${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => rec.errors.push(String(e?.stack || e)));
  return rec;
}

// isLocal: a URL on this machine (loopback), or one that never leaves the page.
function isLocal(u) {
  if (u.startsWith("data:") || u.startsWith("blob:") || u.startsWith("about:")) return true;
  try {
    const h = new URL(u).hostname;
    return h === "127.0.0.1" || h === "localhost" || h === "[::1]" || h.endsWith(".localhost");
  } catch {
    return false;
  }
}

function pageOf(name) {
  const p = pages.get(name);
  if (!p) throw new Error(`no page ${name}`);
  return p;
}

function locate(c) {
  const { page } = pageOf(c.page);
  let l = page.locator(c.target);
  if (c.text) l = l.filter({ hasText: c.text });
  return l.first();
}

const ops = {
  // launch starts a browser with a fresh profile: cookies allowed or blocked,
  // optionally with the cookies of a saved state (a restart that keeps them).
  async launch(c) {
    await shutdown();
    const options = { viewport: c.viewport || { width: 1280, height: 860 }, locale: "en-US", timezoneId: "UTC" };
    if (c.state) options.storageState = c.state;
    if (c.cookies === false) {
      // Block every cookie as a visitor's browser settings can: a profile
      // whose default content setting for cookies is "block".
      profile = mkdtempSync(join(tmpdir(), "parley-chromium-"));
      mkdirSync(join(profile, "Default"));
      writeFileSync(join(profile, "Default", "Preferences"),
        JSON.stringify({ profile: { default_content_setting_values: { cookies: 2 } } }));
      context = await chromium.launchPersistentContext(profile, { executablePath, args, headless: true, ...options });
      for (const p of context.pages()) await p.close();
      return {};
    }
    server = await chromium.launchServer({ executablePath, args, headless: true });
    browser = await chromium.connect(server.wsEndpoint());
    context = await browser.newContext(options);
    return {};
  },
  async newPage(c) {
    const page = await context.newPage();
    page.setDefaultTimeout(TIMEOUT);
    pages.set(c.page, track(page));
    if (c.url) await page.goto(c.url);
    return {};
  },
  async goto(c) {
    await pageOf(c.page).page.goto(c.url);
    return {};
  },
  async closePage(c) {
    const { page } = pageOf(c.page);
    pages.delete(c.page);
    await page.close({ runBeforeUnload: !!c.runBeforeUnload });
    return {};
  },
  async click(c) {
    await locate(c).click();
    return {};
  },
  async fill(c) {
    await locate(c).fill(c.value);
    return {};
  },
  async select(c) {
    await locate(c).selectOption(c.value);
    return {};
  },
  async type(c) {
    await locate(c).pressSequentially(c.value, { delay: c.delay ?? 20 });
    return {};
  },
  async press(c) {
    const { page } = pageOf(c.page);
    if (c.target) await locate(c).press(c.key);
    else await page.keyboard.press(c.key);
    return {};
  },
  async waitFor(c) {
    await locate(c).waitFor({ state: c.state || "visible", timeout: c.timeout || TIMEOUT });
    return {};
  },
  async text(c) {
    return locate(c).innerText();
  },
  async texts(c) {
    return pageOf(c.page).page.locator(c.target).allInnerTexts();
  },
  async count(c) {
    return pageOf(c.page).page.locator(c.target).count();
  },
  async attr(c) {
    return locate(c).getAttribute(c.name);
  },
  async box(c) {
    return locate(c).boundingBox();
  },
  async eval(c) {
    return pageOf(c.page).page.evaluate(c.expr);
  },
  // focused describes the element that has the keyboard focus, inside the
  // widget's shadow root too.
  async focused(c) {
    return pageOf(c.page).page.evaluate(() => {
      let el = document.activeElement;
      while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
      if (!el) return null;
      return {
        tag: el.tagName.toLowerCase(),
        id: el.id || "",
        name: el.getAttribute("aria-label") || (el.labels && el.labels[0] ? el.labels[0].textContent : "") || el.textContent.trim(),
      };
    });
  },
  async screenshot(c) {
    mkdirSync(dirname(c.path), { recursive: true });
    await pageOf(c.page).page.screenshot({ path: c.path, fullPage: !!c.fullPage });
    return {};
  },
  async cookies() {
    return context.cookies();
  },
  async saveState(c) {
    await context.storageState({ path: c.path });
    return {};
  },
  // kill ends the browser at once, as a crash or a restart of the computer
  // does: no pagehide, the sockets just drop.
  async kill() {
    if (!server) throw new Error("kill needs a browser from launch without cookies:false");
    server.process().kill("SIGKILL");
    await new Promise((r) => setTimeout(r, 300));
    pages.clear();
    browser = context = null;
    try {
      await server.close();
    } catch {}
    server = null;
    return {};
  },
  // offline lets the context reach only the given URL prefixes (the page's
  // own server, the XMPP server's WebSocket) and aborts everything else;
  // blocked lists what was aborted.
  async offline(c) {
    blocked = [];
    await context.route("**/*", (route) => {
      const u = route.request().url();
      if (c.allow.some((a) => u.startsWith(a)) || u.startsWith("data:") || u.startsWith("blob:")) return route.continue();
      blocked.push(u);
      return route.abort();
    });
    return {};
  },
  async blocked() {
    return blocked;
  },
  // localOnly lets the context reach this machine only: every request to
  // another host is aborted and recorded (nonLocal lists them, and
  // WebSockets to other hosts too).
  async localOnly() {
    nonLocal = [];
    await context.route("**/*", (route) => {
      const u = route.request().url();
      if (isLocal(u)) return route.continue();
      nonLocal.push(u);
      return route.abort();
    });
    return {};
  },
  async nonLocal() {
    return nonLocal;
  },
  // grant gives the context browser permissions (e.g. notifications) for an origin.
  async grant(c) {
    await context.grantPermissions(c.permissions, c.origin ? { origin: c.origin } : {});
    return {};
  },
  // initScript runs a script in every page of the context before its own scripts.
  async initScript(c) {
    await context.addInitScript({ content: c.script });
    return {};
  },
  // setFiles picks files (paths on this machine) in a file input.
  async setFiles(c) {
    await locate(c).setInputFiles(c.files);
    return {};
  },
  // dupWebSocket relays the context's WebSockets through the driver;
  // dupNext then sends the next page-to-server frame containing match twice
  // (a client's resend of the same stanza).
  async dupWebSocket() {
    await context.routeWebSocket(/.*/, (ws) => {
      const server = ws.connectToServer();
      ws.onMessage((m) => {
        server.send(m);
        if (dupWS.match && !dupWS.done && typeof m === "string" && m.includes(dupWS.match)) {
          dupWS.done = true;
          setTimeout(() => server.send(m), 300);
        }
      });
    });
    return {};
  },
  async dupNext(c) {
    dupWS.match = c.match;
    dupWS.done = false;
    return {};
  },
  async dupDone() {
    return dupWS.done;
  },
  async close() {
    await shutdown();
    return {};
  },
  async log(c) {
    const p = pageOf(c.page);
    return { requests: p.requests, sockets: p.sockets, console: p.console, errors: p.errors };
  },
};

const out = (o) => process.stdout.write(JSON.stringify(o) + "\n");
const rl = createInterface({ input: process.stdin });
let queue = Promise.resolve();
rl.on("line", (line) => {
  queue = queue.then(async () => {
    let c;
    try {
      c = JSON.parse(line);
    } catch {
      out({ id: 0, ok: false, error: "bad JSON" });
      return;
    }
    const op = ops[c.op];
    if (!op) {
      out({ id: c.id, ok: false, error: `unknown op ${c.op}` });
      return;
    }
    try {
      const value = await op(c);
      out({ id: c.id, ok: true, value: value ?? null });
    } catch (e) {
      out({ id: c.id, ok: false, error: String(e?.message || e) });
    }
  });
});
rl.on("close", () => {
  queue.then(shutdown).then(() => process.exit(0));
});
for (const sig of ["SIGTERM", "SIGINT"]) process.on(sig, () => shutdown().then(() => process.exit(0)));
out({ id: 0, ok: true, value: "ready" });
