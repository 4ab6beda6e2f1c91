// Package agent serves the agent console at /agent/: stock Converse.js with
// Parley's workspace plugin (src/, built by `npm run build` into dist/, which
// is committed and embedded here, so building parleyd needs no Node).
//
// Routes of Handler, under Prefix:
//
//	/agent/                     the console page (no-cache)
//	/agent/static/NAME-HASH.*   the plugin, the console and its styles (cached for a year, immutable)
//	/agent/plugin.js            the plugin under a stable name, for a company's own Converse.js
//	/agent/converse/…           stock Converse.js from npm (no-cache)
package agent

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"

	"github.com/parley-chat/parley/web"
)

//go:embed dist
var dist embed.FS

// Prefix is where parleyd mounts the console.
const Prefix = "/agent/"

// Config is what the console needs to reach the XMPP server and the service.
type Config struct {
	WebSocket   string // the XMPP server's WebSocket URL (RFC 7395)
	AgentDomain string // the agents' XMPP domain: a login without @ gets it
	Service     string // the chat service's JID
}

type handler struct {
	page    []byte
	static  http.Handler
	plugin  string // file name of the plugin under static/
	byName  map[string]bool
	convers http.Handler
}

// Handler serves the console under Prefix.
func Handler(cfg Config) (http.Handler, error) {
	if u, err := url.Parse(cfg.WebSocket); err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
		return nil, fmt.Errorf("agent console: WebSocket URL %q must be an absolute ws:// or wss:// URL", cfg.WebSocket)
	}
	if cfg.Service == "" || strings.ContainsAny(cfg.AgentDomain, "@/ ") {
		return nil, fmt.Errorf("agent console: a service JID and a bare agent domain are needed")
	}
	manifest, err := web.Manifest(dist, "agent console", "web/agent")
	if err != nil {
		return nil, err
	}
	tmplText, err := fs.ReadFile(dist, "dist/index.html")
	if err != nil {
		return nil, err
	}
	tmpl, err := template.New("index.html").Parse(string(tmplText))
	if err != nil {
		return nil, fmt.Errorf("agent console: page: %w", err)
	}
	var page bytes.Buffer
	if err := tmpl.Execute(&page, pageData{Config: cfg, Base: Prefix, manifest: manifest}); err != nil {
		return nil, fmt.Errorf("agent console: page: %w", err)
	}
	static, _ := fs.Sub(dist, "dist/static")
	cv, _ := fs.Sub(dist, "dist/converse")
	h := &handler{page: page.Bytes(), plugin: manifest["plugin.js"], byName: map[string]bool{},
		static:  http.StripPrefix(Prefix+"static/", http.FileServerFS(static)),
		convers: http.StripPrefix(Prefix+"converse/", http.FileServerFS(cv))}
	for _, f := range manifest {
		h.byName[f] = true
	}
	if h.plugin == "" {
		return nil, fmt.Errorf("agent console: the embedded build has no plugin")
	}
	return h, nil
}

type pageData struct {
	Config
	Base     string
	manifest map[string]string
}

// Asset is the URL path of a built file by its logical name.
func (d pageData) Asset(name string) (string, error) {
	f, ok := d.manifest[name]
	if !ok {
		return "", fmt.Errorf("no %s in the build", name)
	}
	return d.Base + "static/" + f, nil
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !web.ReadOnly(w, r) {
		return
	}
	hd := w.Header()
	p := r.URL.Path
	switch {
	case p == Prefix || p == Prefix+"index.html":
		hd.Set("Content-Type", "text/html; charset=utf-8")
		hd.Set("Cache-Control", "no-cache")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("X-Frame-Options", "DENY")
		_, _ = w.Write(h.page)
	case p == Prefix+"plugin.js":
		hd.Set("Cache-Control", "no-cache")
		r2 := r.Clone(r.Context())
		r2.URL.Path = Prefix + "static/" + h.plugin
		h.static.ServeHTTP(w, r2)
	case strings.HasPrefix(p, Prefix+"static/") && h.byName[strings.TrimPrefix(p, Prefix+"static/")]:
		hd.Set("Cache-Control", "public, max-age=31536000, immutable")
		h.static.ServeHTTP(w, r)
	case strings.HasPrefix(p, Prefix+"converse/") && !strings.HasSuffix(p, "/"):
		hd.Set("Cache-Control", "no-cache")
		h.convers.ServeHTTP(w, r)
	default:
		http.NotFound(w, r)
	}
}
