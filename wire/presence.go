package wire

import (
	"encoding/xml"
	"errors"
	"strconv"

	"mellium.im/xmlstream"
)

// AgentPresence is <agent/> in an agent's presence to the service
// (PROTOCOL 5): how many chats it takes at once. MaxChats 0 is an <agent/>
// without max-chats (the service's default capacity).
type AgentPresence struct {
	MaxChats int
}

// MaxChatsLimit is the largest max-chats taken (docs/protocol.md).
const MaxChatsLimit = 1000

// ErrMaxChats is a max-chats that is not a number from 1 to MaxChatsLimit.
var ErrMaxChats = errors.New("max-chats must be a number from 1 to 1000")

func (a AgentPresence) attrs() []string {
	if a.MaxChats == 0 {
		return nil
	}
	return []string{"max-chats", strconv.Itoa(a.MaxChats)}
}

// TokenReader implements xmlstream.Marshaler.
func (a AgentPresence) TokenReader() xml.TokenReader { return empty(start(NS, "agent", a.attrs()...)) }

// MarshalXML implements xml.Marshaler.
func (a AgentPresence) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	return marshal(e, a.TokenReader())
}

// UnmarshalXML implements xml.Unmarshaler: an empty or missing max-chats is
// 0; any other that is not a number from 1 to MaxChatsLimit is ErrMaxChats.
func (a *AgentPresence) UnmarshalXML(d *xml.Decoder, s xml.StartElement) error {
	*a = AgentPresence{}
	if v := attr(s, "max-chats"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxChatsLimit {
			return ErrMaxChats
		}
		a.MaxChats = n
	}
	return d.Skip()
}

var _ xmlstream.Marshaler = AgentPresence{}
