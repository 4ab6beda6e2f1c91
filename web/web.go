// Package web serves the visitor's chat widget and the demo shop page that
// shows it. The widget's JavaScript lives beside this file (package.json,
// src/, demo/); `npm run build` writes dist/, which is committed and embedded
// here, so building parleyd needs no Node.
//
// Routes of Handler:
//
//	/                    the demo shop with the widget (no-cache, Content-Security-Policy)
//	/widget.js           the widget under a stable name, for other sites' script tags (no-cache, ETag)
//	/static/NAME-HASH.*  built files under content-hashed names (cached for a year, immutable)
//	/licenses.txt        licenses of the packages bundled in the widget
package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
)

//go:embed dist
var dist embed.FS

// Config is what the widget on the demo page needs to reach the service.
type Config struct {
	WebSocket     string // the XMPP server's WebSocket URL (RFC 7395), ws:// or wss://
	AnonymousHost string // the XMPP server's anonymous host for visitors
	Service       string // the chat service's JID (parleyd's component domain)
	Queue         string // queue of the demo page's requests; empty: the service's default
	CookieDays    int    // lifetime of the visitor's token cookie in days; 0: the widget's default (30)
}

type asset struct {
	name     string
	body     []byte
	gz       []byte // nil when compressing does not pay
	ctype    string
	etag     string
	longLife bool
}

type handler struct {
	page    []byte
	pageTag string
	csp     string
	assets  map[string]*asset // by URL path
}

// Handler serves the demo page, the widget and its files.
func Handler(cfg Config) (http.Handler, error) {
	if err := checkConfig(cfg); err != nil {
		return nil, err
	}
	manifest, err := Manifest(dist, "web", "web/")
	if err != nil {
		return nil, err
	}
	h := &handler{assets: make(map[string]*asset)}
	files, err := fs.ReadDir(dist, "dist/static")
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	for _, f := range files {
		body, err := fs.ReadFile(dist, "dist/static/"+f.Name())
		if err != nil {
			return nil, fmt.Errorf("web: %w", err)
		}
		h.assets["/static/"+f.Name()] = newAsset(f.Name(), body, true)
	}
	widget, ok := manifest["widget.js"]
	if !ok || h.assets["/static/"+widget] == nil {
		return nil, fmt.Errorf("web: the embedded build has no widget")
	}
	alias := *h.assets["/static/"+widget]
	alias.longLife = false
	h.assets["/widget.js"] = &alias
	if lic, err := fs.ReadFile(dist, "dist/licenses.txt"); err == nil {
		h.assets["/licenses.txt"] = newAsset("licenses.txt", lic, false)
	}

	tmplText, err := fs.ReadFile(dist, "dist/index.html")
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	tmpl, err := template.New("index.html").Parse(string(tmplText))
	if err != nil {
		return nil, fmt.Errorf("web: demo page: %w", err)
	}
	var page bytes.Buffer
	data := pageData{Config: cfg, manifest: manifest}
	if err := tmpl.Execute(&page, data); err != nil {
		return nil, fmt.Errorf("web: demo page: %w", err)
	}
	h.page = page.Bytes()
	h.pageTag = etagOf(h.page)
	h.csp = CSP(cfg.WebSocket)
	return h, nil
}

type pageData struct {
	Config
	manifest map[string]string
}

// Asset is the URL path of a built file by its logical name (widget.js, shop.css…).
func (d pageData) Asset(name string) (string, error) {
	f, ok := d.manifest[name]
	if !ok {
		return "", fmt.Errorf("no %s in the build", name)
	}
	return "/static/" + f, nil
}

func checkConfig(cfg Config) error {
	u, err := url.Parse(cfg.WebSocket)
	if err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
		return fmt.Errorf("web: widget WebSocket URL %q must be an absolute ws:// or wss:// URL", cfg.WebSocket)
	}
	// The URL goes into a Content-Security-Policy source list as it is.
	if strings.ContainsAny(cfg.WebSocket, " \t\r\n;,'\"") {
		return fmt.Errorf("web: widget WebSocket URL %q has characters a Content-Security-Policy cannot carry", cfg.WebSocket)
	}
	if cfg.AnonymousHost == "" || strings.ContainsAny(cfg.AnonymousHost, "@/ ") {
		return fmt.Errorf("web: widget anonymous host %q is not a domain", cfg.AnonymousHost)
	}
	if cfg.Service == "" {
		return fmt.Errorf("web: the service JID is empty")
	}
	if cfg.CookieDays < 0 {
		return fmt.Errorf("web: the cookie lifetime cannot be negative")
	}
	return nil
}

// CSP is the demo page's Content-Security-Policy: its own scripts, styles
// and images only, and connections to the XMPP server's WebSocket and to
// parleyd itself (the widget's suspend beacon, /beacon) alone.
func CSP(websocket string) string {
	return "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
		"connect-src " + websocket + " 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
}

func newAsset(name string, body []byte, longLife bool) *asset {
	ctype := mime.TypeByExtension(path.Ext(name))
	switch path.Ext(name) {
	case ".js":
		ctype = "text/javascript; charset=utf-8"
	case ".css":
		ctype = "text/css; charset=utf-8"
	case ".svg":
		ctype = "image/svg+xml"
	case ".txt":
		ctype = "text/plain; charset=utf-8"
	case ".json":
		ctype = "application/json"
	}
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	a := &asset{name: name, body: body, ctype: ctype, etag: etagOf(body), longLife: longLife}
	if strings.HasPrefix(ctype, "text/") || strings.HasPrefix(ctype, "image/svg") || ctype == "application/json" {
		var b bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
		_, _ = zw.Write(body)
		_ = zw.Close()
		if b.Len() < len(body)*9/10 {
			a.gz = b.Bytes()
		}
	}
	return a
}

func etagOf(b []byte) string {
	sum := sha256.Sum256(b)
	return `"` + hex.EncodeToString(sum[:12]) + `"`
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !ReadOnly(w, r) {
		return
	}
	hd := w.Header()
	if r.URL.Path == "/" || r.URL.Path == "/index.html" {
		hd.Set("Content-Type", "text/html; charset=utf-8")
		hd.Set("Cache-Control", "no-cache")
		hd.Set("Content-Security-Policy", h.csp)
		hd.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		hd.Set("X-Frame-Options", "DENY")
		h.write(w, r, h.page, nil, h.pageTag)
		return
	}
	a, ok := h.assets[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	hd.Set("Content-Type", a.ctype)
	if a.longLife {
		hd.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		hd.Set("Cache-Control", "no-cache")
	}
	// Other sites load the widget with a script tag; allow it from anywhere.
	hd.Set("Cross-Origin-Resource-Policy", "cross-origin")
	h.write(w, r, a.body, a.gz, a.etag)
}

// write answers with body, or gz when the client takes gzip (a
// representation with its own ETag), honouring If-None-Match.
func (h *handler) write(w http.ResponseWriter, r *http.Request, body, gz []byte, etag string) {
	hd := w.Header()
	if gz != nil {
		hd.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r.Header.Get("Accept-Encoding")) {
			hd.Set("Content-Encoding", "gzip")
			body = gz
			etag = strings.TrimSuffix(etag, `"`) + `-gz"`
		}
	}
	hd.Set("ETag", etag)
	if match := r.Header.Get("If-None-Match"); match != "" && etagMatches(match, etag) {
		hd.Del("Content-Encoding")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == etag {
			return true
		}
	}
	return false
}

func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(name), "gzip") {
			continue
		}
		params = strings.ReplaceAll(strings.TrimSpace(params), " ", "")
		return params != "q=0" && params != "q=0.0" && params != "q=0.00" && params != "q=0.000"
	}
	return false
}
