#pragma once
// Runs actors on the io thread that woke them.
//
// A frame read on an io thread becomes a message for its connection actor. Handed to CAF's
// scheduler, that message waits for a worker to wake up (tens of microseconds), and the actor's
// reply to the socket waits for the io thread to wake up again. Instead, when the io thread
// itself unblocks an actor, the actor runs right there, after the current io handler returns,
// as CAF's own middleman runs brokers on its multiplexer thread: an io thread is a CAF
// execution unit. Actors those actors wake (the user's handler, and its reply to the
// connection) run there too, so a round trip stays on one thread as with raw Beast.
//
// Bounded: one drain gives at most `max_resumes_per_drain` turns of the scheduler's
// max-throughput messages each. An actor with more messages than a turn holds (a handler
// flooded with one read's market data) waits behind the others for another turn on this
// thread: handing it to a worker instead would split producer and consumer across threads,
// where every message is allocated on one and freed on the other (1.8M instead of 3.2M
// messages a second on this path). Whatever remains when the turns are used up goes to CAF's
// scheduler, so a busy actor never holds an io thread for long.

#include <caf/fwd.hpp>

namespace zenws::detail {

inline constexpr int max_resumes_per_drain = 64;

/// The execution unit of the calling io thread for actors of `sys`, or nullptr when the caller
/// is not an io thread (or the unit is busy with another actor system): enqueue with nullptr
/// and CAF's scheduler takes the actor as usual.
caf::execution_unit* io_thread_unit(caf::actor_system& sys);

} // namespace zenws::detail
