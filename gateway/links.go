package gateway

import (
	"net/url"
	"strings"

	"github.com/parley-chat/parley/xmpp"
)

// notAcceptable is a decoding failure to answer with <not-acceptable/>.
type notAcceptable struct{ text string }

func (n notAcceptable) Error() string { return n.text }

// linkSchemes are the only URL schemes recorded and relayed as links
// (jabber:x:oob): anything else (javascript:, data:, file:, …) could run or
// open something in an agent's or visitor's client.
var linkSchemes = map[string]bool{"http": true, "https": true, "mailto": true}

// checkLink refuses a jabber:x:oob element whose <url/> is not an http,
// https or mailto URL (docs/protocol.md, "Links").
func checkLink(x *xmpp.Element) error {
	for _, u := range x.ChildrenNamed(nsOOB, "url") {
		if err := checkURL(u.Text); err != nil {
			return err
		}
	}
	return nil
}

func checkURL(raw string) error {
	refuse := notAcceptable{"only http, https and mailto links are accepted"}
	s := strings.TrimSpace(raw)
	// Browsers drop tabs and newlines anywhere in a URL and control
	// characters around it ("java\tscript:"): refuse any of them rather
	// than guess what a client would make of it.
	if strings.IndexFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
		return refuse
	}
	u, err := url.Parse(s)
	if err != nil || !linkSchemes[strings.ToLower(u.Scheme)] {
		return refuse
	}
	if strings.ToLower(u.Scheme) != "mailto" && u.Host == "" {
		return refuse
	}
	if strings.ToLower(u.Scheme) == "mailto" && u.Opaque == "" {
		return refuse
	}
	return nil
}
