// System events of a session (PROTOCOL 4) as the widget words them: its own
// strings, so they follow the page's language; the service's body otherwise.

export function eventText(t, ev, fallback = "") {
  switch (ev.type) {
    case "queued":
      return ev.position > 0 ? t("evQueued", { position: ev.position }) : fallback;
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
export function statusText(t, { phase, state, position, agent }) {
  if (phase === "left") return t("statusLeft");
  if (phase === "ended") return t("statusEnded");
  if (phase !== "chat" && phase !== "joining") return "";
  switch (state) {
    case "queued":
      return position > 0 ? t("statusPosition", { position }) : t("statusQueued");
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
