// Builds the agent console into dist/, which the Go package agent (agent.go)
// embeds. Committed like web/dist and reproducible: scripts/test.sh rebuilds
// and checks nothing changed.
//
//   dist/static/console-HASH.js    the console: the plugin and its start-up
//   dist/static/plugin-HASH.js     the plugin alone, for a company's own Converse.js
//   dist/static/workspace-HASH.css the panel's styles
//   dist/converse/…                stock Converse.js from npm (script, styles, fonts, sounds, emoji data)
//   dist/index.html                the console page, a Go html/template
//   dist/manifest.json             logical name -> file under static/
import * as esbuild from "esbuild";
import { cpSync, mkdirSync, rmSync, writeFileSync, readFileSync, copyFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, "dist");
const stat = join(dist, "static");
rmSync(dist, { recursive: true, force: true });
mkdirSync(stat, { recursive: true });

const r = await esbuild.build({
  entryPoints: { console: "src/console.js", plugin: "src/plugin-global.js", workspace: "src/workspace.css" },
  bundle: true, minify: true, outdir: stat, entryNames: "[name]-[hash]", metafile: true, logLevel: "warning",
  legalComments: "none", absWorkingDir: here, format: "iife", target: ["es2020", "chrome100", "firefox100", "safari16"],
});
const manifest = {};
for (const [out, meta] of Object.entries(r.metafile.outputs)) {
  if (!meta.entryPoint) continue;
  const file = out.split("/").pop();
  manifest[file.replace(/-[A-Z0-9]+\./, ".")] = file;
}
writeFileSync(join(dist, "manifest.json"), JSON.stringify(Object.fromEntries(Object.entries(manifest).sort()), null, 2) + "\n");

// Stock Converse.js, only what the page loads (no source maps, no locales:
// the console is in English).
const cv = join(here, "node_modules/converse.js/dist");
const out = join(dist, "converse");
mkdirSync(out, { recursive: true });
for (const f of ["converse.min.js", "converse.min.css", "emoji.json"]) copyFileSync(join(cv, f), join(out, f));
for (const d of ["webfonts", "sounds", "images"]) cpSync(join(cv, d), join(out, d), { recursive: true });
copyFileSync(join(here, "node_modules/converse.js/LICENSE"), join(out, "LICENSE"));
copyFileSync(join(here, "src/console.html"), join(dist, "index.html"));
for (const [k, v] of Object.entries(manifest)) console.log(`${k.padEnd(14)} static/${v} ${(readFileSync(join(stat, v)).length / 1024).toFixed(1)} KiB`);
