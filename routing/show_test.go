package routing

import "testing"

func TestShowNames(t *testing.T) {
	for s, want := range map[Show]string{ShowOffline: "offline", ShowAvailable: "available", ShowChat: "chat",
		ShowAway: "away", ShowXA: "xa", ShowDND: "dnd", Show(99): "", Show(-1): ""} {
		if got := s.String(); got != want {
			t.Errorf("Show(%d) = %q, want %q", s, got, want)
		}
	}
	for in, want := range map[string]Show{"chat": ShowChat, "away": ShowAway, "xa": ShowXA, "dnd": ShowDND,
		"": ShowAvailable, "bogus": ShowAvailable, "offline": ShowAvailable} {
		if got := ParseShow(in); got != want {
			t.Errorf("ParseShow(%q) = %v, want %v", in, got, want)
		}
	}
}
