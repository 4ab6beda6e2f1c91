package muc

import (
	"strings"
	"testing"

	"mellium.im/xmpp/jid"
)

// With a fold, a nick the same under it is taken by someone else's occupant
// and by the service, for Join and for NickTaken alike; the same person may
// have it; without a fold only the exact nick counts.
func TestNickFoldOneRule(t *testing.T) {
	r := NewRoom(jid.MustParse("s1@chat.example.com"), 10)
	r.SetNickFold(strings.ToLower)
	alice := Entry{Affiliation: AffOwner, Role: RoleModerator, Person: "alice@example.com"}
	join(t, r, jid.MustParse("alice@example.com/desk"), "Alice", alice)
	visitor := Entry{Affiliation: AffMember, Role: RoleParticipant, Person: "visitor"}
	if !r.NickTaken("ALICE", "visitor") || r.NickTaken("ALICE", "alice@example.com") || r.NickTaken("Bob", "visitor") {
		t.Error("NickTaken does not follow the fold")
	}
	_, err := r.Join(jid.MustParse("v@guest.example.com/w"), "alice", visitor, PresenceInfo{}, NoHistoryLimit, t0)
	assertErr(t, err, "cancel", "conflict")
	_, err = r.Join(jid.MustParse("v@guest.example.com/w"), strings.ToUpper(ServiceNick), visitor, PresenceInfo{}, NoHistoryLimit, t0)
	assertErr(t, err, "cancel", "conflict")

	plain := NewRoom(jid.MustParse("s2@chat.example.com"), 10)
	join(t, plain, jid.MustParse("alice@example.com/desk"), "Alice", alice)
	if plain.NickTaken("alice", "visitor") || !plain.NickTaken("Alice", "visitor") {
		t.Error("without a fold only the exact nick is taken")
	}
}
