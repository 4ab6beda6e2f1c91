"""An agent played by slixmpp (another XMPP implementation than the service's).

Logs in, signs in to the service by directed presence, accepts the first
offer by joining the room, answers each visitor message with "echo: <body>",
and prints what happens as JSON lines on stdout. Exits after --replies replies.
"""
import argparse
import asyncio
import json
import sys

import slixmpp

NS = "urn:parley:chat:0"


def say(**kw):
    print(json.dumps(kw), flush=True)


class Agent(slixmpp.ClientXMPP):
    def __init__(self, args):
        super().__init__(args.jid, args.password)
        self.args = args
        self.replies = 0
        self.room = None
        self.register_plugin("xep_0030")
        self.register_plugin("xep_0045")
        self.register_plugin("xep_0199")
        self.add_event_handler("session_start", self.start)
        self.add_event_handler("groupchat_message", self.groupchat)
        self.add_event_handler("message", self.direct)

    async def start(self, _):
        await self.get_roster()
        self.send_presence()
        self.send_presence(pto=self.args.service)
        say(event="signed-in", jid=str(self.boundjid))

    def direct(self, msg):
        if msg["type"] == "groupchat":
            return
        offer = msg.xml.find("{%s}offer" % NS)
        if offer is None or self.room is not None:
            return
        self.room = str(msg["from"].bare)
        say(event="offer", room=self.room, session=offer.get("session"))
        self.plugin["xep_0045"].join_muc(self.room, "Slix", maxhistory="50")

    def groupchat(self, msg):
        ev = msg.xml.find("{%s}event" % NS)
        if ev is not None:
            say(event="room-event", type=ev.get("type"))
            return
        if msg["mucnick"] in ("", "Slix", "Parley"):
            return
        if msg.xml.find("{urn:xmpp:delay}delay") is not None:
            say(event="history", body=msg["body"])
            return
        say(event="message", nick=msg["mucnick"], body=msg["body"])
        self.send_message(mto=msg["from"].bare, mbody="echo: " + msg["body"], mtype="groupchat")
        self.replies += 1
        if self.replies >= self.args.replies:
            say(event="done")
            asyncio.get_event_loop().call_later(0.5, self.disconnect)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--jid", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--server", required=True, help="host:port of c2s")
    ap.add_argument("--service", required=True)
    ap.add_argument("--replies", type=int, default=1)
    args = ap.parse_args()
    host, port = args.server.rsplit(":", 1)
    xmpp = Agent(args)
    xmpp["feature_mechanisms"].unencrypted_plain = True
    xmpp.connect(address=(host, int(port)), disable_starttls=True, force_starttls=False)
    loop = asyncio.get_event_loop()
    loop.call_later(60, lambda: (say(event="timeout"), xmpp.disconnect()))
    xmpp.process(forever=False)


if __name__ == "__main__":
    sys.exit(main())
