package testbed

import (
	"os"
	"path/filepath"
	"testing"
)

func TestOverlay(t *testing.T) {
	path := filepath.Join(t.TempDir(), "env")
	if err := os.WriteFile(path, []byte("export PARLEY_XMPP_ADDR='127.0.0.1:5999'\nexport PARLEY_TEST_COMPONENTS='a.test b.test'\nexport PARLEY_TEST_SERVER_LOG='/tmp/x y.log'\nexport OTHER=1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	base := Env{XMPPAddr: "127.0.0.1:5275", Secret: "s", Components: []string{"c.test"}, ServerLog: "old.log"}
	got, err := base.Overlay(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.XMPPAddr != "127.0.0.1:5999" || got.Secret != "s" || len(got.Components) != 2 || got.Components[1] != "b.test" || got.ServerLog != "/tmp/x y.log" {
		t.Errorf("overlay: %+v", got)
	}
	if base.XMPPAddr != "127.0.0.1:5275" || base.Components[0] != "c.test" {
		t.Errorf("the base changed: %+v", base)
	}
	if _, err := base.Overlay(filepath.Join(t.TempDir(), "none")); err == nil {
		t.Error("a missing file is no error")
	}
}
