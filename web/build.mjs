// Builds the widget and the demo shop into dist/, which the Go package web
// embeds. The output is committed (go build needs no Node), so it must be
// reproducible: scripts/test.sh rebuilds and checks nothing changed.
//
//   dist/static/widget-HASH.js   the widget, one self-contained file
//   dist/static/shop-HASH.css    the demo shop's styles
//   dist/static/favicon-HASH.svg
//   dist/index.html              the demo page, a Go html/template
//   dist/manifest.json           logical name -> file under static/
//   dist/licenses.txt            licenses of the bundled packages
import * as esbuild from "esbuild";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync, copyFileSync, existsSync, readdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, "dist");
const stat = join(dist, "static");
rmSync(dist, { recursive: true, force: true });
mkdirSync(stat, { recursive: true });

const common = {
  bundle: true,
  minify: true,
  outdir: stat,
  entryNames: "[name]-[hash]",
  metafile: true,
  logLevel: "warning",
  legalComments: "none",
  absWorkingDir: here,
};

// @xmpp/client names Node built-ins that its browser field misses (it maps
// "./lib/dns" but the code imports "./lib/dns.js"); in a browser they are
// never reached, since the service is always a ws:// or wss:// URL.
const noNodeBuiltins = {
  name: "no-node-builtins",
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (a) => ({ path: a.path, namespace: "empty" }));
    b.onLoad({ filter: /.*/, namespace: "empty" }, () => ({ contents: "export default {};", loader: "js" }));
  },
};

const js = await esbuild.build({
  ...common,
  entryPoints: { widget: "src/widget.js" },
  format: "iife",
  platform: "browser",
  target: ["es2020", "chrome100", "firefox100", "safari16"],
  loader: { ".css": "text" },
  plugins: [noNodeBuiltins],
});
const css = await esbuild.build({
  ...common,
  entryPoints: { shop: "demo/shop.css" },
  target: ["chrome100", "firefox100", "safari16"],
});

const manifest = {};
for (const r of [js, css]) {
  for (const [out, info] of Object.entries(r.metafile.outputs)) {
    if (!info.entryPoint) continue;
    const file = basename(out);
    const logical = file.replace(/-[A-Z0-9]+(\.\w+)$/, "$1").toLowerCase();
    manifest[logical] = file;
  }
}

// Files copied as they are, named by a hash of their content.
for (const src of ["demo/favicon.svg"]) {
  const data = readFileSync(join(here, src));
  const hash = createHash("sha256").update(data).digest("hex").slice(0, 8).toUpperCase();
  const name = basename(src).replace(/(\.\w+)$/, `-${hash}$1`);
  writeFileSync(join(stat, name), data);
  manifest[basename(src)] = name;
}

copyFileSync(join(here, "demo/index.html"), join(dist, "index.html"));
const sorted = Object.fromEntries(Object.entries(manifest).sort(([a], [b]) => a.localeCompare(b)));
writeFileSync(join(dist, "manifest.json"), JSON.stringify(sorted, null, 2) + "\n");

// Licenses of every package whose code is in the bundle.
const pkgs = new Map();
for (const input of Object.keys(js.metafile.inputs)) {
  if (input.includes(":")) continue; // disabled or virtual modules
  const m = input.match(/^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//);
  if (!m || pkgs.has(m[1])) continue;
  const dir = join(here, m[1]);
  const pj = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  const lic = readdirSync(dir).find((f) => /^(licen[sc]e|copying)/i.test(f));
  pkgs.set(m[1], { name: pj.name, version: pj.version, license: pj.license || (pj.licenses || []).map((l) => l.type || l).join(", ") || "", text: lic ? readFileSync(join(dir, lic), "utf8").trim() : "" });
}
let text = "Third-party software bundled in the Parley widget (widget-*.js)\n";
for (const p of [...pkgs.values()].sort((a, b) => a.name.localeCompare(b.name))) {
  text += `\n==== ${p.name} ${p.version} (${p.license})\n\n${p.text || "(no license file in the package)"}\n`;
}
writeFileSync(join(dist, "licenses.txt"), text);

for (const [k, v] of Object.entries(sorted)) {
  const size = readFileSync(join(stat, v)).length;
  console.log(`${k.padEnd(12)} static/${v} ${(size / 1024).toFixed(1)} KiB`);
}
if (!existsSync(join(stat, manifest["widget.js"]))) throw new Error("no widget in the build");
