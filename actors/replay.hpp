#pragma once
/// @file
/// Replaying a recording (protocol/recording.hpp) through a handler, to test the handler with
/// what a venue really sent: inbound text frames arrive as text_frame, binary as binary_frame,
/// the close as (disconnected_atom, disconnect_info), in order, at the recorded pace or as fast
/// as possible. What the connection sent is counted, not delivered.

#include <cstdint>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/atom.hpp>
#include <caf/expected.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "zenws/protocol/recording.hpp"

namespace zenws {

/// A recording read from a file: its valid entries, and what was wrong with the other lines.
struct recording {
  std::vector<record_entry> entries;
  std::uint64_t bad_lines = 0;
  std::string first_error; ///< "line N: ..." for the first bad line
};

/// Reads a JSONL recording. Bad lines are skipped and counted; an invalid_config error when the
/// file cannot be read.
caf::expected<recording> read_recording(const std::string& path);

/// What a replay fed.
struct replay_report {
  std::uint64_t delivered = 0;  ///< inbound entries sent to the handler
  std::uint64_t outbound = 0;   ///< outbound entries skipped
  std::int64_t duration_ms = 0; ///< recorded span of the entries
};

enum class replay_pace : std::uint8_t {
  recorded, ///< the gaps between entries as recorded
  fast,     ///< one after the other
};

using replay_atom = caf::atom_constant<caf::atom("replay")>;

using replay_actor = caf::typed_actor<
    /// Starts the replay; replies when the last entry has been sent to the handler.
    caf::replies_to<replay_atom>::with<replay_report>>;

/// An actor that replays `rec` to `handler` when asked.
replay_actor spawn_replay(caf::actor_system& sys, recording rec, caf::actor handler,
                          replay_pace pace);

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, replay_report& x) {
  return f(caf::meta::type_name("zenws.replay_report"), x.delivered, x.outbound, x.duration_ms);
}

} // namespace zenws
