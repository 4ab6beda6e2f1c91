// Package sessions owns the chat session: its state machine (queued, active,
// suspended, closed, expired), who may join and act on its room, the
// suspend/resume rules, the visitor token and reconnect choice, and the timers
// (idle, grace, suspend expiry). It turns decoded inputs into outputs: rows to
// write (a Batch for the Store it declares) and stanzas to send. The Engine is
// pure; the Runner feeds it from a channel, commits each batch's rows in one
// round trip and only then sends the stanzas that depend on them.
//
// The files, by concept, one rule set each (each file's first line says which):
//
//   - the engine and its vocabulary: engine.go (Engine, Process loop, shared
//     helpers), io.go, effects.go, answers.go, vocab.go, errors.go, event.go,
//     store.go
//   - inputs dispatched to the rules: iq.go, presence.go, message.go
//   - session rules: request.go, reconnect.go, suspend.go (suspend/resume),
//     close.go (close/expiry), offers.go (offers/routing glue), restore.go,
//     actions.go, conference.go, invitation.go, waiting.go, timers.go,
//     limits.go, dedup.go, nicks.go
//   - XMPP service surfaces, translations onto the rules: disco.go
//     (XEP-0030), commands.go (XEP-0050 ad-hoc), archive.go (XEP-0313
//     authorisation), clients.go (MUC owner/admin, reserved nick),
//     workspace.go, queuepush.go
//   - machinery: index.go, isolate.go, runner.go, pipeline.go
package sessions
