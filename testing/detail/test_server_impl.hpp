#pragma once
// Internal to the test server kit (not installed; includes Asio and Beast).
//
// server_core is test_server's state: the io thread, the acceptor, the settings a test changes
// while the server runs, and everything the server has observed. session is one accepted
// connection, from the TCP accept to its end. Threading rule: sockets, sessions and the session
// table are touched on the io thread only; `settings` and `observed` are guarded by their own
// mutexes because test threads read and write them.

#include <zenws/testing/certificates.hpp>
#include <zenws/testing/detail/server_tls.hpp>
#include <zenws/testing/detail/session_stream.hpp>
#include <zenws/testing/test_server.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

namespace zenws::testing::detail {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;

class session;

/// How long the server waits for the client's answer to a close frame it sent before it
/// closes the socket anyway (Beast's close handshake timeout, and the raw close's timer).
inline constexpr milliseconds close_answer_timeout{2000};

/// What a test may change while the server runs. Read by the io thread when it needs a value.
struct live_settings {
  std::shared_ptr<const responder> reply; ///< never null
  milliseconds reply_delay{0};
  unsigned refuse_status = 0; ///< 0 = accept upgrades
  std::string refuse_body;
  milliseconds upgrade_delay{0};
  accept_mode mode = accept_mode::serve;
  std::shared_ptr<const session_hooks> hooks; ///< null = none
};

/// Everything the server has seen, for the waiters.
struct observations {
  std::vector<frame> frames;
  std::vector<upgrade_request> upgrades;
  std::size_t upgraded = 0; ///< sessions that completed the upgrade, in total
  session_id newest = 0;    ///< the most recent of them
  std::size_t open = 0;     ///< upgraded and not yet ended
  std::size_t accepted = 0; ///< TCP connections accepted
  std::map<session_id, session_end> ends;
  std::set<std::pair<session_id, std::string>> pongs;
};

class server_core {
public:
  explicit server_core(server_options options);
  ~server_core();
  server_core(const server_core&) = delete;
  server_core& operator=(const server_core&) = delete;

  // -- fixed at construction -----------------------------------------------------------------

  const server_options options;
  std::uint16_t port = 0;
  tls_files files;

  /// The TLS context for wss, null for ws. Declared before the io_context so that it outlives
  /// every TLS stream the io_context's handlers may still own when it is destroyed.
  std::unique_ptr<ssl::context> tls_context;

  // -- shared with test threads --------------------------------------------------------------

  /// A copy of the current settings.
  live_settings settings() const;
  template <class F>
  void change_settings(F&& f) {
    std::lock_guard<std::mutex> lock{settings_mutex_};
    f(settings_);
  }

  mutable std::mutex observed_mutex;
  std::condition_variable observed_changed;
  observations observed;

  // -- io thread -----------------------------------------------------------------------------

  net::io_context ioc;

  /// Runs `f` on the io thread and returns when it has run (at once when called there).
  void run_on_io(const std::function<void()>& f);
  /// Runs `f` on the io thread later, in call order with the other posted functions.
  void post(std::function<void()> f);

  /// The upgraded session `id` if it is still open, else null (io thread).
  std::shared_ptr<session> find_open(session_id id) const;
  /// Every upgraded, still open session (io thread).
  std::vector<std::shared_ptr<session>> open_sessions() const;

  // Called by sessions on the io thread.
  void on_frame(const frame& f);
  void on_upgrade_request(upgrade_request request);
  void on_upgraded(const std::shared_ptr<session>& s, session_id id);
  void on_pong(session_id id, std::string payload);
  void on_end(const session_end& end, bool was_upgraded);
  /// A stalled session has no operation in flight to own it, so the server keeps it alive.
  void keep_stalled(std::shared_ptr<session> s) { stalled_.push_back(std::move(s)); }

  void stop_listening();

private:
  void make_tls();
  void accept_next();
  void on_accept(error_code ec, tcp::socket socket);
  void stop();

  mutable std::mutex settings_mutex_;
  live_settings settings_;

  std::unique_ptr<pem_directory> pem_dir_;

  // io thread only
  tcp::acceptor acceptor_;
  session_id next_id_ = 0;
  std::map<session_id, std::weak_ptr<session>> sessions_; ///< every serving session
  std::map<session_id, std::weak_ptr<session>> open_;     ///< upgraded and not ended
  std::vector<tcp::socket> held_;                         ///< accept_mode::hold connections
  std::vector<std::shared_ptr<session>> stalled_;

  net::executor_work_guard<net::io_context::executor_type> work_;
  std::thread thread_;
};

/// Makes and starts a session for an accepted connection: TLS (wss), upgrade, then frames.
/// Defined with the session, so that only that translation unit instantiates Beast's code.
std::shared_ptr<session> start_session(server_core& server, session_id id, tcp::socket socket);

/// One accepted connection. Owned by its pending operations (shared_ptr), io thread only.
///
///   accept -> [tls handshake] -> read upgrade request -> [delay] -> refuse -> end
///                                                              \-> accept -> frames -> end
///
/// Frames: one read at a time; the replies to a frame (after the reply delay) go into the
/// write queue followed by a marker that starts the next read, so they are written before the
/// next frame (or a close frame) is read. Injected frames and faults use the same queue: one
/// write at a time, in call order.
class session : public std::enable_shared_from_this<session> {
public:
  session(server_core& server, session_id id, tcp::socket socket);
  ~session();

  void start();

  // Injection and faults, posted by test_server onto the io thread.
  void send(frame f);
  void send_fragmented(frame f, std::size_t fragment_bytes);
  void ping(std::string payload);
  void send_raw(std::string bytes);
  void close(std::uint16_t code, std::string reason);
  void reset();
  void stall();
  void slow_reader(milliseconds delay);

  /// The server is stopping: drop what would keep this session alive in a cycle.
  void shutdown();

private:
  struct outbound {
    enum class kind : std::uint8_t { message, fragmented, ping, raw, close, raw_close, read };
    kind what = kind::message;
    bool binary = false;
    std::string data;
    std::size_t fragment_bytes = 0; ///< fragmented: payload bytes per frame
    std::size_t offset = 0;         ///< fragmented: bytes written so far
    std::uint16_t code = 0;         ///< close
  };

  // Steps, named after the step each one completes.
  void on_tls_handshake(error_code ec);
  void read_upgrade_request();
  void on_upgrade_request(error_code ec);
  void answer_upgrade(live_settings s); ///< by value: the screen hook may refuse in this copy
  void on_refused(error_code ec);
  void on_upgrade(error_code ec);
  void read_next();
  void start_read();
  void on_read(error_code ec);
  void queue_replies(std::vector<frame> replies);

  void enqueue(outbound o);
  void write_next();
  void write_fragment();
  void on_write(error_code ec);
  void on_close(error_code ec);
  void drop_queued();
  void end(bool close_frame, std::uint16_t code, std::string reason);
  void end_socket() { end(false, 0, {}); }

  server_core& server_;
  const session_id id_;
  websocket::stream<session_stream> ws_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  upgrade_request seen_; ///< what on_upgrade_request recorded; the hooks get it too
  std::optional<http::response<http::string_body>> refusal_;
  tls_observation tls_seen_;
  bool client_certificate_ = false;

  net::steady_timer read_timer_;  ///< slow reader and reply delay: one at a time, before reads
  net::steady_timer close_timer_; ///< upgrade delay, then the raw close's answer timeout

  std::deque<outbound> queue_;
  bool writing_ = false;
  bool upgraded_ = false;
  bool ended_ = false;
  bool stalled_ = false;
  bool beast_close_queued_ = false; ///< a Beast close is queued or sent (it allows only one)
  milliseconds slow_delay_{0};
  int original_rcvbuf_ = 0; ///< SO_RCVBUF before slow_reader shrank it; 0 = never shrunk
};

} // namespace zenws::testing::detail
