#pragma once
/// @file
/// The test server kit: a real Beast WebSocket server on 127.0.0.1 (ws or wss) for tests of code
/// that uses zenws. It answers with scripted replies (echo by default), injects frames, lets a
/// test wait until a client has sent a matching frame, and injects faults.
///
/// @par Thread safety
/// The server runs its own io thread. Every member function may be called from any thread;
/// callbacks (the responder) run on the server's thread and must not block. Injections and
/// faults aimed at sessions are queued to that thread and take effect in call order; settings
/// (responder, delays, refusal, accept mode) apply to the next frame or connection at once.
///
/// @par Example
/// @code
/// zenws::testing::test_server server{zenws::testing::server_options::secure()};
/// // connect a client to server.url("/ws?token=abc") trusting server.tls().ca_file ...
/// auto frame = server.wait_for_frame([](auto& f) { return f.data == "hello"; }, 2s);
/// server.close(frame->session, 4001, "bye");
/// @endcode

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace zenws::testing {

using std::chrono::milliseconds;

/// Identifies one accepted TCP connection (1, 2, 3, ... in accept order, in every accept mode).
using session_id = std::uint64_t;

/// A frame as the server saw or sends it.
struct frame {
  session_id session = 0; ///< sender (received frames) or 0 (outbound)
  bool binary = false;
  std::string data;
};

/// What the server saw of one upgrade request.
struct upgrade_request {
  session_id session = 0;
  std::string target;                                       ///< path and query
  std::vector<std::pair<std::string, std::string>> headers; ///< in order received
  std::string sni;                 ///< TLS server name the client sent; empty for ws or none sent
  std::string alpn_offer;          ///< ALPN protocols the client offered, comma-separated
                                   ///< ("h2,http/1.1"); empty for ws or none offered. The server
                                   ///< selects "http/1.1" when offered, else no protocol.
  bool client_certificate = false; ///< the client presented a certificate the server verified
                                   ///< (only asked for with require_client_certificate)

  /// The first header named `name` (case-insensitive), or nullopt.
  std::optional<std::string> header(const std::string& name) const;
};

/// How a session ended, as the server saw it. A connection that failed before or during the
/// upgrade (TLS failure, refused upgrade, client gone) also ends, with close_frame false.
struct session_end {
  session_id session = 0;
  bool close_frame = false; ///< the client sent a close frame (else the socket just ended)
  std::uint16_t code = 0;   ///< the client's close code (0 when none)
  std::string reason;       ///< the client's close reason
};

/// What the server does with new TCP connections.
enum class accept_mode : std::uint8_t {
  serve, ///< TLS (wss), upgrade, then frames (default)
  hold,  ///< accept TCP and do nothing: TLS and upgrade never complete (the sockets
         ///< stay open until the server is destroyed)
  reset, ///< accept TCP and reset it at once (RST: SO_LINGER 0, then close)
};

/// Server settings fixed at construction.
struct server_options {
  /// Port on 127.0.0.1; 0 (default) picks a free one. Give the port of a server just destroyed
  /// to simulate a server restart (SO_REUSEADDR is set).
  std::uint16_t port = 0;
  bool tls = false; ///< serve wss (TLS 1.2+) with a certificate made at run time by the kit's
                    ///< own CA (certificates.hpp); tls() gives the files a client needs
  /// Names in the server certificate's subjectAltName: IP addresses become iPAddress entries,
  /// other names dNSName entries. Change it to test host name checks.
  std::vector<std::string> certificate_names{"localhost", "127.0.0.1", "::1"};
  bool require_client_certificate = false; ///< wss: demand a client cert signed by the kit CA
  std::vector<std::string> subprotocols;   ///< accept the first client offer found in this list
                                           ///< (none offered or none found: no subprotocol)
  /// Added to the 101 response; a name Beast already sets (Server) is replaced, not doubled.
  std::vector<std::pair<std::string, std::string>> response_headers;
  bool permessage_deflate = false; ///< accept permessage-deflate offers
  /// Largest message the server reads; a bigger one makes Beast close with 1009 (too big).
  std::size_t max_message_size = std::size_t{64} << 20;

  /// Options for wss (or ws when `tls` is false), everything else at its default.
  static server_options secure(bool tls = true) {
    server_options options;
    options.tls = tls;
    return options;
  }
};

/// Decides the replies to one received frame; runs on the server thread. Default: echo. The
/// replies go to the session that sent the frame (their `session` field is ignored). An
/// exception thrown from it is reported on stderr and counts as no reply.
using responder = std::function<std::vector<frame>(const frame& received)>;

/// A session_hooks::screen decision on one upgrade request.
struct upgrade_verdict {
  unsigned status = 0; ///< 0 accepts; any other value refuses with this HTTP status
  std::string body;    ///< the refusal's text/plain body
};

/// What a venue simulator built on the server sees beyond the responder: which target each
/// session upgraded to, the control frames the client sends, and the sessions' ends. Every hook
/// may be empty. They run on the server's thread, so they must not block: they may call the
/// members that queue work (send, ping, close, reset, ...), never the wait_for_* ones.
struct session_hooks {
  /// Decides each upgrade request after delay_upgrade's wait, unless refuse_upgrade() already
  /// refuses it; a refusal is answered as refuse_upgrade() describes.
  std::function<upgrade_verdict(const upgrade_request&)> screen;
  /// A session completed the upgrade: its 101 is written and no frame has been read yet. Runs
  /// before wait_for_sessions() counts the session, so a test that saw the session there sees
  /// what this hook set up.
  std::function<void(const upgrade_request&)> on_open;
  /// The client sent a ping (`is_ping`) or a pong with this payload; it runs inside the read,
  /// in order with the frames around it. Beast answers pings by itself as before.
  std::function<void(session_id session, bool is_ping, const std::string& payload)> on_control;
  /// A session that on_open reported has ended, however it ended (a stalled session never
  /// ends). Runs after wait_for_end() can see the end.
  std::function<void(const session_end&)> on_end;
};

/// The kit's certificate authority and the files a client needs to trust it (absolute paths in
/// a private directory under /tmp).
struct tls_files {
  std::string ca_file;          ///< PEM of the CA that signed the server certificate
  std::string client_cert_file; ///< a client certificate signed by the same CA
  std::string client_key_file;  ///< its private key
};

/// A WebSocket server on 127.0.0.1 (a free port, or server_options::port). Stops and joins in
/// the destructor (open connections are closed without a close frame); never destroy it from
/// its own thread (inside a responder).
class test_server {
public:
  /// Listens before it returns, so a client may connect at once.
  /// @throws boost::system::system_error when it cannot listen; std::runtime_error when the
  /// certificates cannot be made (wss).
  explicit test_server(server_options options = {});
  ~test_server();
  test_server(const test_server&) = delete;
  test_server& operator=(const test_server&) = delete;

  // -- address -----------------------------------------------------------------------------------

  std::uint16_t port() const;
  /// "ws://127.0.0.1:PORT" + target (or wss://...); a target without a leading '/' gets one.
  std::string url(const std::string& target = "/") const;
  /// Certificate files (wss only; empty strings for ws). They live until the server is destroyed.
  const tls_files& tls() const;

  // -- scripted behaviour ------------------------------------------------------------------------

  /// Replaces the responder (an empty one means silent). Replies to one frame are written in
  /// order before the next frame is read, so a client's close frame is answered only after the
  /// replies to earlier frames.
  void set_responder(responder r);
  /// Shorthand responders: echo every frame (default), or never reply.
  void echo();
  void silent();
  /// Replaces the hooks (empty ones by default). Sessions already open keep reporting to the new
  /// hooks; set them before clients connect to see every session from its start.
  void set_hooks(session_hooks hooks);
  /// Waits this long before writing each frame's replies (0 = none, the default). The next
  /// frame is not read meanwhile; a frame without replies is not delayed.
  void set_reply_delay(milliseconds delay);

  // -- injection ---------------------------------------------------------------------------------
  // Each of these is queued behind the session's earlier writes and does nothing when the
  // session has not completed the upgrade or has ended.

  /// Sends a frame to one session (text or binary as `f.binary` says).
  void send(session_id session, frame f);
  /// Sends a frame to every open session.
  void broadcast(frame f);
  /// Sends one message as fragments of at most `fragment_bytes` payload bytes each (one frame
  /// and then continuation frames; 0 counts as 1).
  void send_fragmented(session_id session, frame f, std::size_t fragment_bytes);
  /// Sends a ping (payloads are cut to 125 bytes); wait_for_pong() sees the client's answer,
  /// which the server reads while it reads frames.
  void ping(session_id session, std::string payload);
  /// Writes these bytes to the session's socket as they are, outside Beast's framing (after any
  /// frame being written): for conformance cases that need exact, even invalid, frames. Server
  /// frames are unmasked, so a test builds them byte by byte. The bytes go between two frames
  /// of Beast's (including its own pongs and close answers), never inside one.
  void send_raw(session_id session, std::string bytes);

  // -- observation -------------------------------------------------------------------------------

  /// Waits until a client has sent a frame for which `match` is true (frames received before
  /// the call count too). nullopt on timeout.
  std::optional<frame> wait_for_frame(const std::function<bool(const frame&)>& match,
                                      milliseconds timeout);
  /// Waits until `count` sessions have completed the upgrade in total; the newest one's id
  /// (the one that completed it last).
  std::optional<session_id> wait_for_sessions(std::size_t count, milliseconds timeout);
  /// Waits until `session` has ended; how it ended. A stalled session never ends.
  std::optional<session_end> wait_for_end(session_id session, milliseconds timeout);
  /// Waits until `session` has answered a ping with this payload.
  bool wait_for_pong(session_id session, const std::string& payload, milliseconds timeout);

  std::vector<frame> frames() const;                     ///< every frame received so far
  std::vector<upgrade_request> upgrade_requests() const; ///< every upgrade request so far
  /// Forgets the frames, upgrade requests, session ends and pongs recorded so far (counters
  /// stay), so that soak tests can measure the client's memory rather than the server's.
  void clear_history();
  std::size_t open_sessions() const; ///< upgraded sessions not yet ended (stalled ones count)
  std::size_t accepted_connections() const; ///< TCP connections accepted

  // -- faults ------------------------------------------------------------------------------------

  /// Starts a close handshake with any code (also ones RFC 6455 forbids) and reason. Beast
  /// writes any non-zero code as given; code 0, a reason over 123 bytes and a second close on
  /// one session are written raw (0x88, length, big-endian code, reason), so they arrive exactly
  /// as asked too. The session ends with the client's answer, or the server closes the socket
  /// after 2 s without one.
  void close(session_id session, std::uint16_t code, std::string reason);
  /// Resets the TCP connection (RST, no close frame); the session ends at once.
  void reset(session_id session);
  /// Half-open: stops reading and writing on the session (queued writes are dropped, Beast's
  /// automatic pongs too) but keeps the socket open until the server is destroyed.
  void stall(session_id session);
  /// Slow reader: waits `delay` before each read and shrinks the receive buffer (SO_RCVBUF
  /// 4096), so the client's writes back up. 0 restores normal reading and the buffer size.
  void slow_reader(session_id session, milliseconds delay);
  /// Answers future upgrade requests with this HTTP status and body instead of 101, with
  /// Content-Type text/plain and Connection: close (no body for 1xx, 204, 304), then closes the
  /// connection; 0 = accept. The request is still recorded.
  void refuse_upgrade(unsigned status, std::string body = {});
  /// Waits this long before answering future upgrade requests, with a 101 or a refusal
  /// (0 = none). The request is recorded before the wait.
  void delay_upgrade(milliseconds delay);
  /// What to do with future TCP connections.
  void set_accept_mode(accept_mode mode);
  /// Stops listening: new connections are refused by the kernel (ECONNREFUSED) from the moment
  /// this returns. Existing sessions continue.
  void stop_listening();

private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

/// A TCP port on 127.0.0.1 whose accept queue is full, so a connect to it neither succeeds nor
/// fails: use it to test connect timeouts. Closed in the destructor.
///
/// Linux drops SYNs to a listener whose accept queue is full: the listener has backlog 0 and
/// filler connections that are never accepted.
class blackhole_listener {
public:
  /// @throws std::system_error when a socket call fails; std::runtime_error when the accept
  /// queue does not fill (a kernel that answers instead of dropping SYNs).
  blackhole_listener();
  ~blackhole_listener();
  blackhole_listener(const blackhole_listener&) = delete;
  blackhole_listener& operator=(const blackhole_listener&) = delete;
  std::uint16_t port() const { return port_; }

private:
  int listen_fd_ = -1;
  std::vector<int> filler_fds_;
  std::uint16_t port_ = 0;
};

} // namespace zenws::testing
