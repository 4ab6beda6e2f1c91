// System events of a session (PROTOCOL 4) as the widget words them: its own
// strings, so they follow the page's language; the service's body otherwise.

export function eventText(t, ev, fallback = "") {
  switch (ev.type) {
    case "queued":
      if (ev.position > 0 && ev.wait !== null && ev.wait !== undefined) {
        return t("evQueuedWait", { position: ev.position, wait: waitText(t, ev.wait) });
      }
      return ev.position > 0 ? t("evQueued", { position: ev.position }) : fallback;
    case "abandoned":
      return t("evAbandoned");
    case "assigned":
      return ev.agent ? t("evAssigned", { agent: ev.agent }) : fallback;
    case "suspended":
      if (ev.by === "visitor") return t("evSuspendedVisitor");
      if (ev.by === "agent") return ev.cause ? t("evSuspendedAgentCause", { cause: ev.cause }) : t("evSuspendedAgent");
      if (ev.by === "system") return t("evSuspendedSystem");
      return fallback;
    case "resumed":
      return t("evResumed");
    case "reconnected":
      return t("evReconnected");
    case "visitor-left":
      return t("evVisitorLeft");
    case "conference":
      return ev.agent ? t("evConference", { agent: ev.agent }) : fallback;
    case "transferred":
      return t("evTransferred");
    case "closed":
      if (ev.by === "visitor") return t("evClosedVisitor");
      if (ev.by === "agent") return t("evClosedAgent");
      return t("evClosed");
    case "expired":
      return t("evExpired");
  }
  return fallback;
}

// statusText is the one line under the title that says where the chat stands.
export function statusText(t, { phase, state, position, agent, wait = null }) {
  if (phase === "left") return t("statusLeft");
  if (phase === "ended") return t("statusEnded");
  if (phase !== "chat" && phase !== "joining") return "";
  switch (state) {
    case "queued":
      if (position > 0 && wait !== null) return t("statusPositionWait", { position, wait: waitText(t, wait) });
      return position > 0 ? t("statusPosition", { position }) : t("statusQueued");
    case "missed":
      return t("statusMissed");
    case "active":
      return agent ? t("statusActive", { agent }) : t("statusActiveNoAgent");
    case "suspended":
      return t("statusSuspended");
    case "closed":
    case "expired":
      return t("statusEnded");
  }
  return "";
}

// waitText words an estimated wait in seconds: "about 2 minutes".
export function waitText(t, secs) {
  if (secs < 60) return t("waitUnderMinute");
  const m = Math.ceil(secs / 60);
  return m === 1 ? t("waitMinute") : t("waitMinutes", { count: m });
}

// availabilityText is how a queue looks before a request (docs/protocol.md,
// Waiting visitors); short for the launcher.
export function availabilityText(t, a, short) {
  const known = a.wait !== null && a.wait !== undefined;
  if (a.status === "away") return t(short ? "availAwayShort" : "availAway");
  if (a.full) return t(short ? "availFullShort" : "availFull");
  if (a.status === "busy") return known ? t("availBusyWait", { wait: waitText(t, a.wait) }) : t("availBusy");
  return known ? t("availWait", { wait: waitText(t, a.wait) }) : t("availNow");
}
