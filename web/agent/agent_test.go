package agent

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHandler(t *testing.T) {
	h, err := Handler(Config{WebSocket: "ws://127.0.0.1:5280/xmpp-websocket", AgentDomain: "example.test", Service: "chat.example.test"})
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		return w
	}
	page := get("/agent/")
	body := page.Body.String()
	for _, want := range []string{`data-websocket="ws://127.0.0.1:5280/xmpp-websocket"`, `data-agent-domain="example.test"`,
		`data-service="chat.example.test"`, `/agent/converse/converse.min.js`, `/agent/static/console-`} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s:\n%s", want, body)
		}
	}
	if strings.Contains(body, "http://") || strings.Contains(body, "https://") {
		t.Errorf("the page names another site:\n%s", body)
	}
	for _, p := range []string{"/agent/converse/converse.min.js", "/agent/converse/converse.min.css", "/agent/plugin.js", "/agent/converse/emoji.json"} {
		if w := get(p); w.Code != http.StatusOK || w.Body.Len() == 0 {
			t.Errorf("%s: %d", p, w.Code)
		}
	}
	for _, p := range []string{"/agent/static/nope.js", "/agent/converse/", "/agent/../go.mod"} {
		if w := get(p); w.Code == http.StatusOK {
			t.Errorf("%s: %d", p, w.Code)
		}
	}
	if _, err := Handler(Config{WebSocket: "http://x", Service: "s"}); err == nil {
		t.Error("an http:// WebSocket URL was taken")
	}
}
