package routing

// showNames are the shows as XMPP writes them (RFC 6121 4.7.2.1), "offline"
// and "available" for the two states without a <show/>.
var showNames = [...]string{
	ShowOffline: "offline", ShowAvailable: "available", ShowChat: "chat",
	ShowAway: "away", ShowXA: "xa", ShowDND: "dnd",
}

// String is the show's name; "" for a value outside the constants.
func (s Show) String() string {
	if s < 0 || int(s) >= len(showNames) {
		return ""
	}
	return showNames[s]
}

// ParseShow reads a presence's <show/>: chat, away, xa or dnd; anything else
// (no <show/> included) is ShowAvailable.
func ParseShow(s string) Show {
	switch s {
	case "chat":
		return ShowChat
	case "away":
		return ShowAway
	case "xa":
		return ShowXA
	case "dnd":
		return ShowDND
	}
	return ShowAvailable
}
