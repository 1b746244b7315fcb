#pragma once
/// @file
/// The recorder actor: appends recording lines (protocol/recording.hpp, one JSON object each,
/// already redacted by whoever made them) to a file, buffered, and flushed every
/// `flush_interval`, every `flush_lines` lines, on request, and when the actor ends, however
/// it ends (a killed owner takes its linked recorder down; the recorder still writes what it
/// holds).
///
/// A connection with `connection_config::record_to` set runs one and records its inbound data
/// frames, the requests and frames it sends (not heartbeats), and how it closed.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/atom.hpp>
#include <caf/expected.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

namespace zenws {

using record_atom = caf::atom_constant<caf::atom("record")>;
using flush_atom = caf::atom_constant<caf::atom("flush")>;

using recorder_actor = caf::typed_actor<
    /// Appends one line (the newline is added).
    caf::reacts_to<record_atom, std::string>,
    /// Writes what is buffered; replies with the lines written to the file so far.
    caf::replies_to<flush_atom>::with<std::uint64_t>>;

struct recorder_options {
  std::chrono::milliseconds flush_interval{1000}; ///< ZenWebsocket's: 1 s
  std::size_t flush_lines = 100;                  ///< ... or 100 lines, whichever comes first
};

/// Opens `path` for appending (created if missing) and spawns the recorder that owns it. An
/// invalid_config error when the file cannot be opened (the detail has the system's reason).
caf::expected<recorder_actor> spawn_recorder(caf::actor_system& sys, const std::string& path,
                                             recorder_options options = {});

} // namespace zenws
