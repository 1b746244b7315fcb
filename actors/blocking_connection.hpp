#pragma once
/// @file
/// A blocking facade over a connection actor, for code that is not an actor (command-line
/// tools, scripts, tests). Each call is a request to the actor with a bound wait; events arrive
/// in an inbox read with receive().
///
/// @par Thread safety
/// One object per thread: it is built on a caf::scoped_actor, which must not be used from two
/// threads at once.
///
/// @par Example
/// @code
/// zenws::blocking_connection conn{sys, io, cfg};
/// if (auto up = conn.connect(); !up)
///   return fail(zenws::explain(up.error()));
/// conn.send_text("hello");
/// if (auto ev = conn.receive(1s); ev && ev->kind == zenws::event::type::text) ...
/// conn.close(1000, "done");
/// @endcode

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <caf/expected.hpp>
#include <caf/fwd.hpp>

#include "zenws/actors/connection_protocol.hpp"

namespace zenws {

class io_runtime;

/// One thing the connection reported.
struct event {
  enum class type : std::uint8_t {
    connected,
    disconnected,
    text,
    binary,
    error,
    unmatched,    ///< a response no request waited for (in `data`)
    reconnecting, ///< the next attempt is planned (`notice`)
    gave_up,      ///< reconnection stopped (`gave_up`)
    restored,     ///< subscriptions restored after a reconnect (`restored`)
  };
  type kind = type::text;
  std::string data;              ///< payload of text, binary and unmatched messages
  upgrade_response upgrade;      ///< for connected
  disconnect_info disconnect;    ///< for disconnected
  failure error;                 ///< for error (a fire-and-forget send failed)
  reconnect_notice notice;       ///< for reconnecting
  give_up_info gave_up;          ///< for gave_up
  subscription_outcome restored; ///< for restored
};

class blocking_connection {
public:
  /// Spawns the connection actor (not yet connected). `reply_timeout` bounds waits for replies
  /// that involve no network (state, metrics); connect and close are bounded by the config's
  /// own timeouts plus that margin.
  blocking_connection(caf::actor_system& sys, io_runtime& io, connection_config config,
                      std::chrono::milliseconds reply_timeout = std::chrono::seconds(5));

  /// Closes (1000, bounded by timeouts.close) if still open, then ends the actor.
  ~blocking_connection();

  blocking_connection(const blocking_connection&) = delete;
  blocking_connection& operator=(const blocking_connection&) = delete;

  /// Connects; the server's 101 response, or the failure (see connection_actor).
  caf::expected<upgrade_response> connect();

  /// Queues a message; an error when not connected or the write queue is full.
  caf::expected<void> send_text(std::string data);
  caf::expected<void> send_binary(std::string data);

  /// The next event, waiting at most `timeout`; nullopt when none arrived in time.
  std::optional<event> receive(std::chrono::milliseconds timeout);

  /// Closes with a handshake; how the connection ended. Messages that arrive before the
  /// server's close frame stay in the inbox for receive().
  caf::expected<disconnect_info> close(std::uint16_t code = 1000, std::string reason = {});

  caf::expected<connection_state> state();
  caf::expected<connection_metrics> metrics();

  /// The actor, to hand to actor code.
  const connection_actor& actor() const noexcept { return actor_; }

private:
  struct inbox;
  std::unique_ptr<inbox> inbox_;
  connection_actor actor_;
  connection_config config_;
  std::chrono::milliseconds reply_timeout_;
};

} // namespace zenws
