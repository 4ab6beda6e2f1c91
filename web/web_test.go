package web

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

var testConfig = Config{
	WebSocket:     "wss://xmpp.example.com/xmpp-websocket",
	AnonymousHost: "guest.example.com",
	Service:       "chat.example.com",
	Queue:         "support",
}

func serve(t *testing.T, h http.Handler, method, target string, header ...string) *http.Response {
	t.Helper()
	r := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Result()
}

func body(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func handlerFor(t *testing.T, cfg Config) http.Handler {
	t.Helper()
	h, err := Handler(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestDemoPage(t *testing.T) {
	h := handlerFor(t, testConfig)
	resp := serve(t, h, "GET", "/")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	want := map[string]string{
		"Content-Type":           "text/html; charset=utf-8",
		"Cache-Control":          "no-cache",
		"X-Content-Type-Options": "nosniff",
	}
	for k, v := range want {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	csp := resp.Header.Get("Content-Security-Policy")
	for _, d := range []string{"default-src 'none'", "script-src 'self'", "connect-src wss://xmpp.example.com/xmpp-websocket 'self';", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, d) {
			t.Errorf("CSP %q lacks %q", csp, d)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("CSP allows unsafe sources: %q", csp)
	}
	page := body(t, resp)
	for _, s := range []string{
		`data-websocket="wss://xmpp.example.com/xmpp-websocket"`,
		`data-domain="guest.example.com"`,
		`data-service="chat.example.com"`,
		`data-queue="support"`,
	} {
		if !strings.Contains(page, s) {
			t.Errorf("page lacks %s", s)
		}
	}
	if strings.Contains(page, "data-cookie-days") {
		t.Error("page sets a cookie lifetime though none was configured")
	}
	// No inline script or style: the CSP would block them.
	if regexp.MustCompile(`<script(?:\s[^>]*)?>\s*[^<\s]`).MatchString(page) || strings.Contains(page, "<style") || strings.Contains(page, " style=") {
		t.Error("page has inline script or style")
	}
	// Every local reference resolves, and nothing points to another host.
	for _, m := range regexp.MustCompile(`(?:src|href)="([^"]*)"`).FindAllStringSubmatch(page, -1) {
		ref := m[1]
		if strings.Contains(ref, "//") {
			t.Errorf("page refers to another host: %s", ref)
			continue
		}
		if r := serve(t, h, "GET", ref); r.StatusCode != 200 {
			t.Errorf("%s: status %d", ref, r.StatusCode)
		}
	}
}

func TestPageEscapesConfig(t *testing.T) {
	cfg := testConfig
	cfg.Queue = `a"><script>alert(1)</script>`
	cfg.CookieDays = 7
	page := body(t, serve(t, handlerFor(t, cfg), "GET", "/"))
	if strings.Contains(page, "<script>alert") {
		t.Fatal("queue name not escaped")
	}
	if !strings.Contains(page, `data-cookie-days="7"`) {
		t.Error("cookie lifetime missing")
	}
}

func TestStaticFiles(t *testing.T) {
	h := handlerFor(t, testConfig)
	raw, err := fs.ReadFile(dist, "dist/manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	var manifest map[string]string
	if err := json.Unmarshal(raw, &manifest); err != nil {
		t.Fatal(err)
	}
	types := map[string]string{"widget.js": "text/javascript; charset=utf-8", "shop.css": "text/css; charset=utf-8", "favicon.svg": "image/svg+xml"}
	for logical, ctype := range types {
		file, ok := manifest[logical]
		if !ok {
			t.Fatalf("manifest lacks %s", logical)
		}
		if !regexp.MustCompile(`-[A-Z0-9]{8}\.`).MatchString(file) {
			t.Errorf("%s is not content-hashed", file)
		}
		resp := serve(t, h, "GET", "/static/"+file)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", file, resp.StatusCode)
		}
		if got := resp.Header.Get("Content-Type"); got != ctype {
			t.Errorf("%s: Content-Type %q, want %q", file, got, ctype)
		}
		if got := resp.Header.Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
			t.Errorf("%s: Cache-Control %q", file, got)
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: no nosniff", file)
		}
	}
	resp := serve(t, h, "GET", "/widget.js")
	if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "no-cache" || resp.Header.Get("ETag") == "" {
		t.Errorf("/widget.js: %d %q etag %q", resp.StatusCode, resp.Header.Get("Cache-Control"), resp.Header.Get("ETag"))
	}
	hashed := body(t, serve(t, h, "GET", "/static/"+manifest["widget.js"]))
	if body(t, resp) != hashed || len(hashed) < 1000 {
		t.Error("/widget.js is not the built widget")
	}
	lic := serve(t, h, "GET", "/licenses.txt")
	if lic.StatusCode != 200 || !strings.Contains(body(t, lic), "@xmpp/client") {
		t.Error("licenses.txt missing or incomplete")
	}
}

func TestConditionalAndCompressed(t *testing.T) {
	h := handlerFor(t, testConfig)
	first := serve(t, h, "GET", "/widget.js")
	etag := first.Header.Get("ETag")
	if r := serve(t, h, "GET", "/widget.js", "If-None-Match", etag); r.StatusCode != 304 {
		t.Errorf("If-None-Match: %d", r.StatusCode)
	}
	if r := serve(t, h, "GET", "/", "If-None-Match", serve(t, h, "GET", "/").Header.Get("ETag")); r.StatusCode != 304 {
		t.Errorf("page If-None-Match: %d", r.StatusCode)
	}
	gz := serve(t, h, "GET", "/widget.js", "Accept-Encoding", "br, gzip")
	if gz.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(gz.Header.Get("Vary"), "Accept-Encoding") {
		t.Fatalf("no gzip: %v", gz.Header)
	}
	if gz.Header.Get("ETag") == etag {
		t.Error("gzip and identity share an ETag")
	}
	zr, err := gzip.NewReader(gz.Body)
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(zr)
	if !bytes.Equal(plain, []byte(body(t, first))) {
		t.Error("gzip body differs")
	}
	if r := serve(t, h, "GET", "/widget.js", "Accept-Encoding", "gzip;q=0"); r.Header.Get("Content-Encoding") != "" {
		t.Error("gzip;q=0 still compressed")
	}
}

func TestMethodsAndNotFound(t *testing.T) {
	h := handlerFor(t, testConfig)
	if r := serve(t, h, "POST", "/"); r.StatusCode != 405 || r.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST: %d allow %q", r.StatusCode, r.Header.Get("Allow"))
	}
	head := serve(t, h, "HEAD", "/widget.js")
	if head.StatusCode != 200 || head.Header.Get("Content-Length") == "0" || body(t, head) != "" {
		t.Errorf("HEAD: %d len %s", head.StatusCode, head.Header.Get("Content-Length"))
	}
	for _, p := range []string{"/nope", "/static/", "/static/widget.js", "/manifest.json", "/index.html/x", "/../web.go"} {
		if r := serve(t, h, "GET", p); r.StatusCode != 404 {
			t.Errorf("%s: %d", p, r.StatusCode)
		}
	}
}

func TestBadConfig(t *testing.T) {
	for _, c := range []Config{
		{WebSocket: "", AnonymousHost: "g", Service: "s"},
		{WebSocket: "http://x/ws", AnonymousHost: "g", Service: "s"},
		{WebSocket: "ws://x/ws; script-src *", AnonymousHost: "g", Service: "s"},
		{WebSocket: "ws://x/ws", AnonymousHost: "", Service: "s"},
		{WebSocket: "ws://x/ws", AnonymousHost: "g", Service: ""},
		{WebSocket: "ws://x/ws", AnonymousHost: "g", Service: "s", CookieDays: -1},
	} {
		if _, err := Handler(c); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}
