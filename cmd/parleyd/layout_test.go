package main

import (
	"os/exec"
	"strings"
	"testing"
)

// The design's one-way flow, enforced: the domain packages never reach the
// wire or the database, and muc depends on nothing of the project.
func TestForbiddenImportEdges(t *testing.T) {
	const mod = "github.com/parley-chat/parley/"
	rules := []struct {
		pkg       string
		forbidden []string
	}{
		{"muc", []string{mod, "github.com/jackc/", "github.com/prometheus/"}},
		{"routing", []string{mod, "mellium.im/", "github.com/jackc/", "github.com/prometheus/"}},
		{"sessions", []string{mod + "xmpp", mod + "gateway", mod + "sessions/pgstore", mod + "cmd", "github.com/jackc/", "github.com/prometheus/", "mellium.im/xmpp/component", "mellium.im/xmpp/stanza"}},
		{"xmpp", []string{mod}},
		// Parley's elements: the domain's values in, XML out; never the
		// connection, the store or the edges that use it.
		{"wire", []string{mod + "xmpp", mod + "gateway", mod + "sessions/pgstore", mod + "cmd", "github.com/jackc/", "github.com/prometheus/"}},
	}
	for _, r := range rules {
		out, err := exec.Command("go", "list", "-deps", "../../"+r.pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list %s: %v\n%s", r.pkg, err, out)
		}
		self := mod + r.pkg
		allowedSelf := map[string]bool{self: true}
		if r.pkg == "wire" {
			allowedSelf[mod+"sessions"], allowedSelf[mod+"muc"], allowedSelf[mod+"routing"] = true, true, true
		}
		if r.pkg == "sessions" {
			allowedSelf[mod+"muc"], allowedSelf[mod+"routing"] = true, true
		}
		for _, dep := range strings.Fields(string(out)) {
			if allowedSelf[dep] {
				continue
			}
			for _, f := range r.forbidden {
				if strings.HasPrefix(dep, f) {
					t.Errorf("%s imports %s (forbidden: %s)", r.pkg, dep, f)
				}
			}
		}
	}
}
