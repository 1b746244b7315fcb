#pragma once
// Internal to the test server kit (not installed; includes Asio and Beast).
//
// session_stream is the byte stream under the test server's websocket::stream: plain TCP or TLS,
// chosen at run time, so one instantiation of Beast's WebSocket code serves both ws and wss (a
// Beast translation unit costs about a minute here; two instantiations would double it).
//
// It also owns the socket's write gate. Beast writes frames of its own that we never asked for
// (pongs and the close answer, from inside a read), and the kit writes raw bytes outside Beast's
// framing (send_raw, forbidden close frames). Both must never be on one socket at once, and a raw
// write must never land between two pieces of one Beast frame. Beast only ever calls
// async_write_some from the completion of its previous piece while a frame (or a chain of frames)
// is unfinished, so a write completion after which Beast started no new write marks a frame
// boundary: only there does the gate let a raw write (or the TLS/TCP teardown) in.

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/beast/websocket/teardown.hpp>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <utility>

namespace zenws::testing::detail {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;

/// Who may write on a socket right now; see the file comment.
///
/// Lives in a shared_ptr that every write completion holds, because the completion of Beast's
/// last write may drop the last reference to the session (and so to the stream) and the gate is
/// still consulted after that handler returns.
struct write_gate {
  /// A write waiting for the gate: start() takes the gate and writes, abort() completes the
  /// write's handler with operation_aborted (posted, never inline) without writing.
  struct waiting {
    virtual ~waiting() = default;
    virtual void start() = 0;
    virtual void abort() = 0;
  };

  template <class Start, class Abort>
  struct waiting_fn final : waiting {
    Start start_fn;
    Abort abort_fn;
    waiting_fn(Start s, Abort a) : start_fn(std::move(s)), abort_fn(std::move(a)) {}
    void start() override { start_fn(); }
    void abort() override { abort_fn(); }
  };

  enum class holder : std::uint8_t {
    none,      ///< nobody writes
    stream,    ///< Beast (or an HTTP write) is inside a frame or a chain of frames
    exclusive, ///< a raw write or the teardown
  };

  holder owner = holder::none;
  bool in_stream_completion = false; ///< running the completion of a Beast write piece
  bool stream_continued = false;     ///< ... and Beast started its next piece from it
  bool frozen = false;               ///< stall(): every write completes aborted
  bool stream_gone = false;          ///< the stream was destroyed; never start anything
  std::deque<std::unique_ptr<waiting>> queue;

  template <class Start, class Abort>
  void enqueue(Start start, Abort abort) {
    queue.push_back(std::make_unique<waiting_fn<Start, Abort>>(std::move(start), std::move(abort)));
  }

  /// The current holder is done: the next waiting write (in arrival order) goes.
  void release() {
    owner = holder::none;
    if (stream_gone || queue.empty())
      return;
    auto next = std::move(queue.front());
    queue.pop_front();
    if (frozen)
      next->abort();
    else
      next->start();
  }
};

/// A TCP or TLS stream for websocket::stream, with the write gate described above. All of it
/// runs on the server's io thread only.
class session_stream {
public:
  using executor_type = tcp::socket::executor_type;

  /// Plain TCP when `tls_context` is null, else TLS over `socket` (the handshake is the
  /// caller's: tls()->async_handshake).
  session_stream(tcp::socket socket, ssl::context* tls_context)
      : plain_(socket.get_executor()), gate_(std::make_shared<write_gate>()) {
    if (tls_context)
      tls_ = std::make_unique<ssl::stream<tcp::socket>>(std::move(socket), *tls_context);
    else
      plain_ = std::move(socket);
  }

  ~session_stream() {
    gate_->stream_gone = true;
    gate_->queue.clear();
  }

  session_stream(const session_stream&) = delete;
  session_stream& operator=(const session_stream&) = delete;

  executor_type get_executor() noexcept { return socket().get_executor(); }

  /// The TCP socket (under TLS for wss).
  tcp::socket& socket() noexcept { return tls_ ? tls_->next_layer() : plain_; }

  /// The TLS stream, or null for ws.
  ssl::stream<tcp::socket>* tls() noexcept { return tls_.get(); }

  // -- AsyncStream ---------------------------------------------------------------------------

  template <class MutableBuffers, class Handler>
  void async_read_some(const MutableBuffers& buffers, Handler&& handler) {
    if (tls_)
      tls_->async_read_some(buffers, std::forward<Handler>(handler));
    else
      plain_.async_read_some(buffers, std::forward<Handler>(handler));
  }

  template <class ConstBuffers, class Handler>
  void async_write_some(const ConstBuffers& buffers, Handler&& handler) {
    auto& g = *gate_;
    if (g.frozen) {
      post_aborted(std::forward<Handler>(handler), std::size_t{0});
      return;
    }
    if (g.owner == write_gate::holder::stream && g.in_stream_completion) {
      g.stream_continued = true; // the next piece of the same frame or frame chain
      start_stream_write(buffers, std::forward<Handler>(handler));
    } else if (g.owner == write_gate::holder::none) {
      start_stream_write(buffers, std::forward<Handler>(handler));
    } else {
      // The buffers stay valid while their operation waits: the operation owns them. Only one
      // of the two halves ever runs, so they can share the handler.
      auto h = std::make_shared<std::decay_t<Handler>>(std::forward<Handler>(handler));
      g.enqueue([this, buffers, h] { start_stream_write(buffers, std::move(*h)); },
                [this, h] { post_aborted(std::move(*h), std::size_t{0}); });
    }
  }

  // -- raw writes and faults -----------------------------------------------------------------

  /// Writes `bytes` (through TLS for wss) at the next frame boundary, never during a write of
  /// Beast's. `bytes` must stay valid until `done` runs; `done` gets the write's error,
  /// operation_aborted when the stream is frozen.
  void async_write_raw(net::const_buffer bytes, std::function<void(error_code)> done) {
    auto& g = *gate_;
    if (g.frozen) {
      net::post(get_executor(), [done = std::move(done)] { done(net::error::operation_aborted); });
      return;
    }
    auto start = [this, bytes, done]() mutable { start_raw_write(bytes, std::move(done)); };
    auto abort = [ex = get_executor(), done]() mutable {
      net::post(ex, [done = std::move(done)] { done(net::error::operation_aborted); });
    };
    if (g.owner == write_gate::holder::none)
      start();
    else
      g.enqueue(std::move(start), std::move(abort));
  }

  /// Stops all writing for good (stall): waiting writes and every later one complete with
  /// operation_aborted. The caller cancels the write on the wire, if any, with socket().cancel().
  void freeze() {
    auto& g = *gate_;
    g.frozen = true;
    auto waiting = std::move(g.queue);
    for (auto& w : waiting)
      w->abort();
  }

  /// Destroys the waiting writes without running them. The server calls this when it stops:
  /// a waiting write holds its handler, and so its session, which holds this stream.
  void drop_waiting() { gate_->queue.clear(); }

  // -- Beast customization points ------------------------------------------------------------

  /// The TLS close_notify and TCP shutdown, through the gate like every other write.
  template <class Handler>
  friend void async_teardown(boost::beast::role_type role, session_stream& s, Handler&& handler) {
    s.teardown_exclusive(role, std::forward<Handler>(handler));
  }

  /// What Beast calls on a timeout: close the socket (pending operations complete aborted).
  friend void beast_close_socket(session_stream& s) {
    error_code ignored;
    s.socket().close(ignored);
  }

private:
  template <class Handler, class... Args>
  void post_aborted(Handler&& handler, Args... args) {
    net::post(get_executor(), [h = std::forward<Handler>(handler), args...]() mutable {
      std::move(h)(error_code{net::error::operation_aborted}, args...);
    });
  }

  template <class ConstBuffers, class Handler>
  void start_stream_write(const ConstBuffers& buffers, Handler&& handler) {
    gate_->owner = write_gate::holder::stream;
    auto done = [gate = gate_, h = std::forward<Handler>(handler)](error_code ec,
                                                                   std::size_t n) mutable {
      gate->in_stream_completion = true;
      gate->stream_continued = false;
      std::move(h)(ec, n);
      gate->in_stream_completion = false;
      if (!gate->stream_continued)
        gate->release();
    };
    if (tls_)
      tls_->async_write_some(buffers, std::move(done));
    else
      plain_.async_write_some(buffers, std::move(done));
  }

  void start_raw_write(net::const_buffer bytes, std::function<void(error_code)> done) {
    gate_->owner = write_gate::holder::exclusive;
    auto complete = [gate = gate_, done = std::move(done)](error_code ec, std::size_t) {
      gate->release(); // first, so a write Beast queued meanwhile keeps its place in line
      done(ec);
    };
    if (tls_)
      net::async_write(*tls_, bytes, std::move(complete));
    else
      net::async_write(plain_, bytes, std::move(complete));
  }

  template <class Handler>
  void teardown_exclusive(boost::beast::role_type role, Handler&& handler) {
    using boost::beast::websocket::async_teardown;
    auto& g = *gate_;
    if (g.frozen) {
      post_aborted(std::forward<Handler>(handler));
      return;
    }
    auto h = std::make_shared<std::decay_t<Handler>>(std::forward<Handler>(handler));
    auto start = [this, role, h] {
      gate_->owner = write_gate::holder::exclusive;
      auto complete = [gate = gate_, h](error_code ec) {
        gate->release();
        auto moved = std::move(*h);
        std::move(moved)(ec);
      };
      if (tls_)
        async_teardown(role, *tls_, std::move(complete));
      else
        async_teardown(role, plain_, std::move(complete));
    };
    if (g.owner == write_gate::holder::none)
      start();
    else
      g.enqueue(std::move(start), [this, h] { post_aborted(std::move(*h)); });
  }

  tcp::socket plain_;
  std::unique_ptr<ssl::stream<tcp::socket>> tls_;
  std::shared_ptr<write_gate> gate_;
};

} // namespace zenws::testing::detail
