package gateway

import (
	"testing"

	"github.com/parley-chat/parley/muc"
	xstanza "mellium.im/xmpp/stanza"
)

// Every condition the domain can name has its wire form, and it is the one of
// the same name (the wire does not change with the typing).
func TestErrorTableComplete(t *testing.T) {
	for _, c := range muc.Conditions {
		got, ok := wireConditions[c]
		if !ok || string(got) != string(c) {
			t.Errorf("condition %q maps to %q (present %v)", c, got, ok)
		}
	}
	for _, typ := range []muc.ErrorType{muc.Cancel, muc.Auth, muc.Modify, muc.Wait} {
		if got := errorTypes[typ]; string(got) != string(typ) {
			t.Errorf("type %q maps to %q", typ, got)
		}
	}
	if se := stanzaError(&muc.Error{Type: "bogus", Condition: "bogus"}); se.Type != xstanza.Cancel || se.Condition != xstanza.UndefinedCondition {
		t.Errorf("unknown error = %+v", se)
	}
}
