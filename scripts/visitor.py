#!/usr/bin/env python3
"""A website visitor in a terminal, for trying Parley without a browser.

Logs in anonymously (SASL ANONYMOUS) to the guest host, asks the service for a
chat with <request xmlns='urn:parley:chat:0'>, joins the room named in the
<session room=.../> result, sends every line typed on stdin to the room and
prints what arrives. End with Ctrl-D (leaves the room) or Ctrl-C.

Needs slixmpp: Debian's python3-slixmpp is for /usr/bin/python3, e.g.

    /usr/bin/python3 scripts/visitor.py --server 127.0.0.1:5222 --name Ann "Where is my parcel?"
"""
import argparse
import asyncio
import signal
import sys

import slixmpp
from slixmpp.exceptions import IqError, IqTimeout
from slixmpp.xmlstream import ET

NS = "urn:parley:chat:0"


def out(line):
    print(line, flush=True)


class Visitor(slixmpp.ClientXMPP):
    def __init__(self, args):
        # A bare domain and no password: the guest host offers only ANONYMOUS.
        super().__init__(args.host, "")
        self.args = args
        self.room = None
        self.nick = args.name or "Visitor"
        self.done = asyncio.Event()
        self.register_plugin("xep_0030")
        self.register_plugin("xep_0045")
        self.register_plugin("xep_0199")
        self.add_event_handler("session_start", self.start)
        self.add_event_handler("groupchat_message", self.groupchat)
        self.add_event_handler("message", self.direct)
        self.add_event_handler("presence", self.presence)
        self.add_event_handler("disconnected", lambda _: self.done.set())
        self.add_event_handler("connection_failed", self.failed)
        self.add_event_handler("failed_auth", self.failed)

    def failed(self, why=None):
        out("! could not log in: %s" % (why,))
        self.done.set()

    async def start(self, _):
        out("* logged in as %s" % self.boundjid)
        req = ET.Element("{%s}request" % NS)
        if self.args.queue:
            req.set("queue", self.args.queue)
        v = ET.SubElement(req, "{%s}visitor" % NS)
        if self.args.name:
            v.set("name", self.args.name)
        if self.args.email:
            v.set("email", self.args.email)
        if self.args.page:
            v.set("page", self.args.page)
        if self.args.question:
            ET.SubElement(req, "{%s}body" % NS).text = self.args.question
        iq = self.Iq(stype="set", sto=self.args.service)
        iq.append(req)
        try:
            res = await iq.send(timeout=20)
        except IqError as e:
            out("! request refused: %s %s" % (e.condition, e.text or ""))
            self.disconnect()
            return
        except IqTimeout:
            out("! no answer from %s" % self.args.service)
            self.disconnect()
            return
        s = res.xml.find("{%s}session" % NS)
        if s is None or not s.get("room"):
            out("! the result carries no session: %s" % res)
            self.disconnect()
            return
        self.room = s.get("room")
        out("* session %s, state %s, room %s" % (s.get("id"), s.get("state"), self.room))
        # The join presence by hand: slixmpp 1.8's join_muc prints stray <delay/>s.
        pres = self.make_presence(pto="%s/%s" % (self.room, self.nick))
        x = ET.SubElement(pres.xml, "{http://jabber.org/protocol/muc}x")
        ET.SubElement(x, "{http://jabber.org/protocol/muc}history").set("maxstanzas", "50")
        pres.send()
        asyncio.get_event_loop().add_reader(sys.stdin.fileno(), self.stdin_line)

    def stdin_line(self):
        line = sys.stdin.readline()
        if line == "":  # EOF: leave the room and log out
            asyncio.get_event_loop().remove_reader(sys.stdin.fileno())
            out("* leaving")
            self.send_presence(pto="%s/%s" % (self.room, self.nick), ptype="unavailable")
            asyncio.get_event_loop().call_later(0.5, self.disconnect)
            return
        line = line.rstrip("\n")
        if line.strip():
            self.send_message(mto=self.room, mbody=line, mtype="groupchat")

    def direct(self, msg):
        if msg["type"] in ("groupchat", "error"):
            if msg["type"] == "error":
                out("! error from %s: %s" % (msg["from"], msg["error"]["condition"]))
            return
        if msg["body"]:
            out("<%s> %s" % (msg["from"], msg["body"]))

    def groupchat(self, msg):
        nick = msg["from"].resource
        ev = msg.xml.find("{%s}event" % NS)
        if ev is not None:
            attrs = " ".join("%s=%s" % (k, v) for k, v in sorted(ev.attrib.items()) if k != "type")
            out("* event %s %s%s" % (ev.get("type"), attrs, (" - " + msg["body"]) if msg["body"] else ""))
            return
        if not msg["body"]:
            return
        old = msg.xml.find("{urn:xmpp:delay}delay") is not None
        if nick == self.nick and not old:
            return  # our own line, reflected by the room
        out("%s[%s] %s" % ("(history) " if old else "", nick or "room", msg["body"]))

    def presence(self, pres):
        if self.room is None or pres["from"].bare != self.room:
            return
        nick = pres["from"].resource
        if pres["type"] == "error":
            out("! cannot join %s: %s %s" % (self.room, pres["error"]["condition"], pres["error"]["text"]))
            return
        if nick == self.nick:
            if pres["type"] != "unavailable":
                out("* joined the room as %s" % nick)
            return
        if pres["type"] == "unavailable":
            out("* %s left" % nick)
        else:
            out("* %s is here" % nick)


def main():
    ap = argparse.ArgumentParser(description="Chat with Parley as an anonymous visitor.")
    ap.add_argument("question", nargs="?", default="Hello, I need help.", help="the first message")
    ap.add_argument("--server", default="127.0.0.1:5222", help="host:port of the XMPP server's c2s listener")
    ap.add_argument("--host", default="guest.example.test", help="anonymous XMPP host")
    ap.add_argument("--service", default="chat.example.test", help="Parley's component JID")
    ap.add_argument("--name", default="Visitor", help="your name, also the room nick")
    ap.add_argument("--email", default="")
    ap.add_argument("--page", default="")
    ap.add_argument("--queue", default="")
    args = ap.parse_args()
    host, port = args.server.rsplit(":", 1)

    xmpp = Visitor(args)
    xmpp["feature_mechanisms"].unencrypted_plain = True
    loop = asyncio.get_event_loop()
    loop.add_signal_handler(signal.SIGINT, xmpp.disconnect)
    loop.add_signal_handler(signal.SIGTERM, xmpp.disconnect)
    xmpp.connect(address=(host, int(port)), disable_starttls=True, force_starttls=False)
    loop.run_until_complete(xmpp.done.wait())
    return 0


if __name__ == "__main__":
    sys.exit(main())
