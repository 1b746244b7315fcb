#pragma once
/// @file
/// The WebSocket transport: one Beast stream on its own strand, behind a plain C++ interface.
///
/// The transport owns the socket and nothing else. It reports what happens through a
/// transport_events sink, called on the strand; the connection actor's sink turns each call into
/// a message in the actor's mailbox through a weak handle. No CAF and no Beast in this header.
///
///     create -> start: resolve -> TCP connect -> [proxy CONNECT] -> [TLS] -> upgrade
///            -> on_open, then on_messages / on_ping / on_pong ... -> on_closed (exactly once)

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "zenws/protocol/config.hpp"
#include "zenws/protocol/error.hpp"
#include "zenws/protocol/frame.hpp"
#include "zenws/protocol/message_batch.hpp"
#include "zenws/protocol/url.hpp"

namespace zenws {

class io_runtime;

/// The server's answer to the upgrade, available once the connection is open.
struct upgrade_response {
  std::uint16_t status = 0;                                 ///< 101 when open
  std::vector<std::pair<std::string, std::string>> headers; ///< response headers, in order
  std::string subprotocol;                   ///< the one the server chose; empty when none
  bool compression = false;                  ///< permessage-deflate was negotiated
  std::chrono::microseconds connect_time{0}; ///< DNS + TCP (+ proxy)
  std::chrono::microseconds tls_time{0};     ///< TLS handshake; 0 for ws://
  std::chrono::microseconds upgrade_time{0}; ///< upgrade request until the 101

  /// The first header named `name` (case-insensitive); empty when absent.
  std::string header(const std::string& name) const;
};

/// Who ended the connection.
enum class close_initiator : std::uint8_t {
  local = 1,  ///< we sent the first close frame
  remote = 2, ///< the peer sent the first close frame
  none = 3,   ///< no close handshake: the connection failed or was torn down
};

/// How a connection ended. `error` is empty after a clean close handshake.
struct disconnect_info {
  close_initiator initiator = close_initiator::none;
  /// The close code received (or sent, if the peer sent none); 1006 when there was no close
  /// frame.
  std::uint16_t code = 1006;
  std::string reason; ///< the close reason received
  failure error;      ///< why it failed, if it did
  /// Data frames fully written to the socket over the connection's life, in send order: the
  /// frames after these were never sent.
  std::uint64_t frames_written = 0;
  bool was_open = false; ///< the upgrade had completed
};

/// Receives the transport's events on its strand. Implementations must not block and must not
/// call back into the transport synchronously from these functions.
class transport_events {
public:
  virtual ~transport_events() = default;
  virtual void on_open(upgrade_response response) = 0;
  /// The data messages completed by one read, in arrival order (never empty).
  virtual void on_messages(message_batch batch) = 0;
  virtual void on_ping(std::string payload) = 0; ///< already answered with a pong
  virtual void on_pong(std::string payload) = 0;
  /// The last event, exactly once, also when the connection never opened.
  virtual void on_closed(disconnect_info info) = 0;
};

/// One WebSocket connection attempt and, if it opens, its life.
///
/// @par Thread safety
/// Every member may be called from any thread; the work is posted to the strand.
class transport {
public:
  virtual ~transport() = default;

  /// Makes a transport for `url` with a config that passed validate(). Nothing happens until
  /// start(). The io_runtime must outlive the transport's pending operations. The transport
  /// keeps `config` for its lifetime: share one config among the attempts of a connection
  /// instead of copying it into each.
  static std::shared_ptr<transport> create(io_runtime& io,
                                           std::shared_ptr<const connection_config> config,
                                           const ws_url& url,
                                           std::shared_ptr<transport_events> events);

  /// As above, with a copy of `config`.
  static std::shared_ptr<transport> create(io_runtime& io, const connection_config& config,
                                           const ws_url& url,
                                           std::shared_ptr<transport_events> events);

  /// Starts resolve, connect, TLS and upgrade. Ends with on_open or on_closed.
  virtual void start() = 0;

  /// Queues a data frame. Frames are written in call order, one at a time, once the connection
  /// is open. Returns errc::none, write_queue_full when max_write_queue frames are already
  /// waiting, or not_connected once close() or a failure has started.
  virtual errc send(frame_kind kind, std::string payload) = 0;

  /// As send(), but the frame goes ahead of data frames still waiting (never inside one), after
  /// other urgent frames: for heartbeat answers that must not wait behind a backlog.
  virtual errc send_urgent(frame_kind kind, std::string payload) = 0;

  /// Queues a ping ahead of waiting data frames (never inside one). Ignored when not open.
  virtual void ping(std::string payload) = 0;

  /// Starts the close handshake after the frames already queued: sends a close frame with
  /// `code` and `reason`, keeps delivering messages until the peer's close frame arrives, and
  /// tears the socket down after timeouts.close if it does not. Ends with on_closed. A code of 0
  /// sends a close frame without a code. The caller checks the code and reason first.
  virtual void close(std::uint16_t code, std::string reason) = 0;

  /// Tears the socket down now, without a close handshake, and reports nothing more.
  virtual void abort() = 0;

  /// Data frames queued and not yet fully written.
  virtual std::size_t queue_depth() const noexcept = 0;
};

} // namespace zenws
