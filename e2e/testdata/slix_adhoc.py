"""An agent that works a chat only through XEP-0050 ad-hoc commands, as a
terminal client without any Parley plugin would, using slixmpp's xep_0050.

Logs in, signs in to the service, joins the first room it is offered, then
runs the room's commands one by one and prints each result as a JSON line.
"""
import argparse
import asyncio
import json

import slixmpp
from slixmpp.exceptions import IqError

NS = "urn:parley:chat:0"


def say(**kw):
    print(json.dumps(kw), flush=True)


class Agent(slixmpp.ClientXMPP):
    def __init__(self, args):
        super().__init__(args.jid, args.password)
        self.args = args
        self.room = None
        for p in ("xep_0030", "xep_0004", "xep_0045", "xep_0050"):
            self.register_plugin(p)
        self.add_event_handler("session_start", self.start)
        self.add_event_handler("message", self.direct)

    async def start(self, _):
        await self.get_roster()
        self.send_presence()
        self.send_presence(pto=self.args.service)
        say(event="signed-in")

    def direct(self, msg):
        if msg["type"] == "groupchat" or self.room is not None:
            return
        if msg.xml.find("{%s}offer" % NS) is None:
            return
        self.room = str(msg["from"].bare)
        self.plugin["xep_0045"].join_muc(self.room, "Term")
        asyncio.ensure_future(self.work())

    async def run(self, node, fields=None):
        """Execute a command; when it answers with a form, submit fields."""
        adhoc = self.plugin["xep_0050"]
        try:
            iq = await adhoc.send_command(self.room, node, action="execute")
            cmd = iq["command"]
            if cmd["status"] == "executing":
                form = cmd["form"]
                say(event="form", node=node, fields=sorted(form.get_fields().keys()))
                submit = self.plugin["xep_0004"].make_form(ftype="submit")
                for var, value in (fields or {}).items():
                    submit.add_field(var=var, value=value)
                iq = await adhoc.send_command(self.room, node, action="complete",
                                              sessionid=cmd["sessionid"], payload=submit)
                cmd = iq["command"]
            values = {}
            form = cmd.xml.find("{jabber:x:data}x")
            if form is not None:
                for f in form.findall("{jabber:x:data}field"):
                    v = f.find("{jabber:x:data}value")
                    values[f.get("var")] = v.text if v is not None else ""
            notes = [n.text for n in cmd.xml.findall("{http://jabber.org/protocol/commands}note")]
            say(event="done", node=node, status=cmd["status"], note=" ".join(n or "" for n in notes), values=values)
        except IqError as e:
            cond = e.iq["error"]["condition"]
            say(event="error", node=node, condition=cond)

    async def work(self):
        await asyncio.sleep(0.5)
        items = await self.plugin["xep_0030"].get_items(jid=self.room, node="http://jabber.org/protocol/commands")
        say(event="commands", nodes=sorted(i[1] for i in items["disco_items"]["items"]))
        await self.run("details")
        await self.run("suspend", {"cause": "Investigation"})
        await self.run("resume")
        await self.run("canned", {"id": self.args.canned})
        await self.run("comment", {"text": "internal note"})
        await self.run("suspend", {"cause": "No such cause"})
        await self.run("conference", {"jid": self.args.invite, "mode": "conference", "reason": "help"})
        await self.run("close")
        say(event="finished")
        self.disconnect()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--jid", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--server", required=True)
    ap.add_argument("--service", required=True)
    ap.add_argument("--canned", required=True)
    ap.add_argument("--invite", required=True)
    args = ap.parse_args()
    host, port = args.server.rsplit(":", 1)
    xmpp = Agent(args)
    xmpp["feature_mechanisms"].unencrypted_plain = True
    xmpp.connect(address=(host, int(port)), disable_starttls=True, force_starttls=False)
    asyncio.get_event_loop().call_later(60, lambda: (say(event="timeout"), xmpp.disconnect()))
    xmpp.process(forever=False)


if __name__ == "__main__":
    main()
