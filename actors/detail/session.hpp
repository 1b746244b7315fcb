#pragma once
// The transport's implementation: one connection on its own strand, over a plain TCP stream or
// a TLS stream. Beast provides the streams and HTTP; the WebSocket framing is zenws's own
// (protocol/frame_reader.hpp), so data that arrives after our close frame is still delivered.
//
//   start -> resolve -> connect -> [proxy CONNECT] -> [TLS handshake] -> upgrade -> open
//   open: read loop (frames -> events), write loop (one batch in flight)
//   end:  finish() reports on_closed exactly once, then the socket is torn down quietly.
//
// Every private member function runs on the strand. Public members only touch atomics and
// post to the strand. Handlers hold a shared_ptr to the session; the events sink is the only
// path to the owner.
//
// Included by plain_session.cpp and tls_session.cpp only.

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "zenws/actors/detail/io_runtime_impl.hpp"
#include "zenws/actors/detail/masking_key_source.hpp"
#include "zenws/actors/detail/permessage_deflate.hpp"
#include "zenws/actors/detail/socket_errors.hpp"
#include "zenws/actors/detail/tls_context.hpp"
#include "zenws/actors/io_runtime.hpp"
#include "zenws/actors/transport.hpp"
#include "zenws/protocol/base64.hpp"
#include "zenws/protocol/close_handshake.hpp"
#include "zenws/protocol/fifo.hpp"
#include "zenws/protocol/frame_reader.hpp"
#include "zenws/protocol/handshake.hpp"

namespace zenws::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

/// The streams: a bare socket, or TLS over one. Not beast::tcp_stream: the session keeps its own
/// timer for every phase, and tcp_stream's timeouts cost memory in every connection and a
/// wrapper around every read and write.
using plain_stream = tcp::socket;
using tls_stream = beast::ssl_stream<tcp::socket>;

template <class Stream>
inline constexpr bool is_tls_v = std::is_same_v<Stream, tls_stream>;

/// Bytes asked of the socket per read: from initial_read_bytes, doubled after a read that
/// fills the request, up to read_chunk_bytes; halved after small_reads_to_shrink reads in a row
/// that use less than an eighth of it. An idle connection keeps a small buffer, a streaming one
/// reads in large chunks, and a steady flow of messages of one size settles on one request (a
/// single small read would make it alternate: shrink, split the next message, grow). A read
/// also asks for at least the rest of the frame being read, up to read_chunk_bytes.
inline constexpr std::size_t initial_read_bytes = 512;
inline constexpr std::size_t read_chunk_bytes = std::size_t{64} * 1024;
inline constexpr int small_reads_to_shrink = 8;

/// Messages are handed on in batches of about this many payload bytes (a read holds up to
/// read_chunk_bytes). Small enough that the allocator recycles a batch's memory instead of
/// returning it to the system and faulting it in again for the next.
inline constexpr std::size_t batch_target_bytes = std::size_t{16} * 1024;

/// A write batch stops growing past this many bytes (one frame may exceed it).
inline constexpr std::size_t write_batch_bytes = std::size_t{64} * 1024;

/// The largest HTTP response (headers plus body) read for the upgrade or the proxy.
inline constexpr std::uint32_t max_http_header_bytes = 16 * 1024;
inline constexpr std::uint64_t max_http_body_bytes = std::uint64_t{64} * 1024;

template <class Stream>
class session final : public transport, public std::enable_shared_from_this<session<Stream>> {
public:
  session(io_runtime_impl& io, std::shared_ptr<const connection_config> config, const ws_url& url,
          std::shared_ptr<transport_events> events,
          std::shared_ptr<asio::ssl::context> tls_context);

  void start() override;
  errc send(frame_kind kind, std::string payload) override;
  errc send_urgent(frame_kind kind, std::string payload) override;
  void ping(std::string payload) override;
  void close(std::uint16_t code, std::string reason) override;
  void abort() override;
  std::size_t queue_depth() const noexcept override { return queue_depth_.load(); }

private:
  /// What the session is doing; also what the phase timer guards.
  enum class phase : std::uint8_t {
    idle,
    resolving,
    connecting,
    proxying,
    tls_handshake,
    upgrading,
    open,
    finished
  };

  struct outbound {
    opcode op;
    std::string payload;
    bool urgent; ///< queued ahead of data frames (pings, pongs, heartbeat answers)
  };

  using clock = std::chrono::steady_clock;

  // -- connect steps ------------------------------------------------------------------------------
  void do_resolve();
  void on_resolve(const error_code& ec, const tcp::resolver::results_type& results);
  void on_connect(const error_code& ec, const tcp::endpoint& endpoint);
  void do_proxy_connect();
  void on_proxy_request_written(const error_code& ec, std::size_t);
  void on_proxy_reply(const error_code& ec, std::size_t);
  void do_tls_handshake();
  void on_tls_handshake(const error_code& ec);
  void do_upgrade();
  void on_upgrade_request_written(const error_code& ec, std::size_t);
  void on_upgrade_reply(const error_code& ec, std::size_t);
  void open(const upgrade_outcome& outcome);

  // -- reading ------------------------------------------------------------------------------------
  void do_read();
  void adapt_read_request(std::size_t bytes);
  void on_read(const error_code& ec, std::size_t bytes);
  void process_input();
  void handle(read_event& ev);
  void deliver_batch();
  void on_peer_close(std::uint16_t code, std::string reason);
  void drop_queued_data();

  // -- writing ------------------------------------------------------------------------------------
  void enqueue(outbound item, bool urgent);
  errc post_data(frame_kind kind, std::string payload, bool urgent);
  void do_write();
  bool fill_write_buffer();
  bool write_at_once(std::size_t& sent);
  void on_write(const error_code& ec, std::size_t);
  void account_written();
  void append_frame(outbound& item);

  // -- timers -------------------------------------------------------------------------------------
  void arm_timer(std::chrono::milliseconds after, errc on_expiry);
  void on_timer(const error_code& ec, std::uint64_t generation);

  // -- endings ------------------------------------------------------------------------------------
  void fail(failure f);
  void fail_and_close(failure f, std::uint16_t close_code);
  void finish(disconnect_info info);
  void teardown();
  void drain_until_eof();
  void close_socket();
  failure socket_failure(const error_code& ec, const char* step) const;
  const std::string& connect_host() const;
  std::uint16_t connect_port() const;
  std::string authority_for_errors() const;

  tcp::socket& raw_socket() { return beast::get_lowest_layer(stream_); }

  // -- members ------------------------------------------------------------------------------------
  asio::strand<asio::io_context::executor_type> strand_;
  std::shared_ptr<asio::ssl::context> tls_context_; // before stream_: the stream refers to it
  Stream stream_;
  tcp::resolver resolver_;
  asio::steady_timer timer_;
  std::uint64_t timer_generation_ = 0;
  errc timer_error_ = errc::none;
  std::chrono::milliseconds timer_after_{0};

  const std::shared_ptr<const connection_config> config_; // shared with the connection actor
  const ws_url url_;
  std::optional<proxy_url> proxy_;
  std::shared_ptr<transport_events> events_;
  phase phase_ = phase::idle;

  // connect
  clock::time_point step_started_;
  upgrade_response response_;
  std::string websocket_key_;
  // Only while connecting: held by pointer so an open connection does not carry them.
  std::unique_ptr<http::request<http::empty_body>> http_request_;
  std::unique_ptr<http::response_parser<http::string_body>> http_reply_;

  // read side
  beast::flat_buffer read_buffer_;
  std::size_t read_request_ = initial_read_bytes; ///< see initial_read_bytes
  int small_reads_ = 0; ///< reads in a row that used less than an eighth of read_request_
  frame_reader reader_;
  message_batch batch_; ///< messages of the current read, not yet handed on
  close_handshake close_;
  std::unique_ptr<permessage_inflater> inflater_;
  std::unique_ptr<permessage_deflater> deflater_;
  std::string compressed_; // reused buffer for outgoing compressed payloads

  // write side
  fifo<outbound> queue_;
  std::string write_buffer_;
  bool writing_ = false;
  std::size_t batch_data_frames_ = 0;
  bool batch_has_close_ = false;
  masking_key_source keys_;
  std::uint64_t frames_written_ = 0;

  // shared with callers' threads
  std::atomic<std::size_t> queue_depth_{0};
  std::atomic<bool> accepting_{true};
};

// -- construction and public members
// ---------------------------------------------------------------

template <class Stream>
session<Stream>::session(io_runtime_impl& io, std::shared_ptr<const connection_config> config,
                         const ws_url& url, std::shared_ptr<transport_events> events,
                         std::shared_ptr<asio::ssl::context> tls_context)
    : strand_(asio::make_strand(io.context)), tls_context_(std::move(tls_context)),
      stream_([this]() -> Stream {
        if constexpr (is_tls_v<Stream>)
          return Stream{strand_, *tls_context_};
        else
          return Stream{strand_};
      }()),
      resolver_(strand_), timer_(strand_), config_(std::move(config)), url_(url),
      events_(std::move(events)),
      reader_(frame_reader_options{config_->max_message_size, nullptr}) {
  if (!config_->proxy.url.empty())
    proxy_ = parse_proxy_url(config_->proxy.url).url;
}

template <class Stream>
void session<Stream>::start() {
  asio::post(strand_, [self = this->shared_from_this()] { self->do_resolve(); });
}

template <class Stream>
errc session<Stream>::send(frame_kind kind, std::string payload) {
  return post_data(kind, std::move(payload), false);
}

template <class Stream>
errc session<Stream>::send_urgent(frame_kind kind, std::string payload) {
  return post_data(kind, std::move(payload), true);
}

template <class Stream>
errc session<Stream>::post_data(frame_kind kind, std::string payload, bool urgent) {
  if (!accepting_.load(std::memory_order_acquire))
    return errc::not_connected;
  if (queue_depth_.fetch_add(1) >= config_->max_write_queue) {
    queue_depth_.fetch_sub(1);
    return errc::write_queue_full;
  }
  const auto op = kind == frame_kind::text ? opcode::text : opcode::binary;
  if (strand_.running_in_this_thread()) { // an actor run at the end of our own delivery
    enqueue(outbound{op, std::move(payload), urgent}, urgent);
    return errc::none;
  }
  asio::post(strand_,
             [self = this->shared_from_this(), op, p = std::move(payload), urgent]() mutable {
               self->enqueue(outbound{op, std::move(p), urgent}, urgent);
             });
  return errc::none;
}

template <class Stream>
void session<Stream>::ping(std::string payload) {
  asio::post(strand_, [self = this->shared_from_this(), p = std::move(payload)]() mutable {
    if (self->phase_ == phase::open && self->close_.accepts_sends())
      self->enqueue(outbound{opcode::ping, std::move(p), true}, true);
  });
}

template <class Stream>
void session<Stream>::close(std::uint16_t code, std::string reason) {
  accepting_.store(false, std::memory_order_release);
  asio::post(strand_, [self = this->shared_from_this(), code, r = std::move(reason)]() mutable {
    if (self->phase_ == phase::finished)
      return;
    if (self->phase_ != phase::open) {
      // Still connecting: there is no handshake to do. The attempt simply ends.
      disconnect_info info;
      info.initiator = close_initiator::local;
      info.code = code;
      self->finish(std::move(info));
      self->close_socket();
      return;
    }
    if (self->close_.start_local(code, std::move(r)) == close_handshake::action::send_close)
      self->enqueue(
          outbound{opcode::close, make_close_payload(code, self->close_.sent_reason()), false},
          false);
  });
}

template <class Stream>
void session<Stream>::abort() {
  accepting_.store(false, std::memory_order_release);
  asio::post(strand_, [self = this->shared_from_this()] {
    self->phase_ = phase::finished;
    self->events_.reset();
    self->close_socket();
  });
}

// -- connect steps
// ---------------------------------------------------------------------------------

template <class Stream>
void session<Stream>::do_resolve() {
  if (phase_ != phase::idle)
    return;
  phase_ = phase::resolving;
  step_started_ = clock::now();
  arm_timer(config_->timeouts.connect, errc::connect_timeout);
  // An IP literal needs no lookup; asio's resolver would still pass it to getaddrinfo on its
  // own thread, two thread hops for nothing.
  error_code not_literal;
  const auto address = asio::ip::make_address(connect_host(), not_literal);
  if (!not_literal)
    return on_resolve({},
                      tcp::resolver::results_type::create({address, connect_port()}, connect_host(),
                                                          std::to_string(connect_port())));
  resolver_.async_resolve(
      connect_host(), std::to_string(connect_port()),
      beast::bind_front_handler(&session::on_resolve, this->shared_from_this()));
}

template <class Stream>
void session<Stream>::on_resolve(const error_code& ec, const tcp::resolver::results_type& results) {
  if (phase_ != phase::resolving)
    return;
  if (ec)
    return fail({errc::resolve_failed, "DNS lookup of " + connect_host() + ": " + ec.message()});
  phase_ = phase::connecting;
  asio::async_connect(raw_socket(), results,
                      beast::bind_front_handler(&session::on_connect, this->shared_from_this()));
}

template <class Stream>
void session<Stream>::on_connect(const error_code& ec, const tcp::endpoint&) {
  if (phase_ != phase::connecting)
    return;
  if (ec)
    return fail(socket_failure(ec, "connect"));
  error_code ignored;
  raw_socket().set_option(tcp::no_delay{config_->tcp_nodelay}, ignored);
  // For write_at_once; Asio's asynchronous operations work the same on a non-blocking socket.
  raw_socket().non_blocking(true, ignored);
  if (proxy_)
    return do_proxy_connect();
  response_.connect_time =
      std::chrono::duration_cast<std::chrono::microseconds>(clock::now() - step_started_);
  if constexpr (is_tls_v<Stream>)
    do_tls_handshake();
  else
    do_upgrade();
}

template <class Stream>
void session<Stream>::do_proxy_connect() {
  phase_ = phase::proxying;
  const auto target = url_.authority();
  http_request_ =
      std::make_unique<http::request<http::empty_body>>(http::verb::connect, target, 11);
  http_request_->set(http::field::host, target);
  if (!config_->proxy.username.empty())
    http_request_->set(http::field::proxy_authorization,
                       "Basic " +
                           base64_encode(config_->proxy.username + ":" + config_->proxy.password));
  http::async_write(
      raw_socket(), *http_request_,
      beast::bind_front_handler(&session::on_proxy_request_written, this->shared_from_this()));
}

template <class Stream>
void session<Stream>::on_proxy_request_written(const error_code& ec, std::size_t) {
  if (phase_ != phase::proxying)
    return;
  http_request_.reset(); // it carried the proxy credentials
  if (ec)
    return fail({errc::proxy_failed, "writing CONNECT to the proxy: " + ec.message()});
  http_reply_ = std::make_unique<http::response_parser<http::string_body>>();
  http_reply_->skip(true); // a CONNECT response has no body (RFC 9110 section 9.3.6)
  http_reply_->header_limit(max_http_header_bytes);
  http::async_read(raw_socket(), read_buffer_, *http_reply_,
                   beast::bind_front_handler(&session::on_proxy_reply, this->shared_from_this()));
}

template <class Stream>
void session<Stream>::on_proxy_reply(const error_code& ec, std::size_t) {
  if (phase_ != phase::proxying)
    return;
  if (ec)
    return fail({errc::proxy_failed, "reading the proxy's CONNECT reply: " + ec.message()});
  const auto status = http_reply_->get().result_int();
  http_reply_.reset();
  if (status / 100 != 2) {
    failure f{errc::proxy_failed,
              "the proxy answered CONNECT " + url_.authority() + " with " + std::to_string(status)};
    f.http_status = static_cast<std::uint16_t>(status);
    return fail(std::move(f));
  }
  if (read_buffer_.size() != 0)
    return fail({errc::proxy_failed, "the proxy sent data before the tunnel was used"});
  response_.connect_time =
      std::chrono::duration_cast<std::chrono::microseconds>(clock::now() - step_started_);
  if constexpr (is_tls_v<Stream>)
    do_tls_handshake();
  else
    do_upgrade();
}

template <class Stream>
void session<Stream>::do_tls_handshake() {
  if constexpr (is_tls_v<Stream>) {
    phase_ = phase::tls_handshake;
    step_started_ = clock::now();
    arm_timer(config_->timeouts.tls, errc::tls_timeout);
    const auto& name = config_->tls.server_name.empty() ? url_.host : config_->tls.server_name;
    const bool name_is_ip = config_->tls.server_name.empty() && url_.host_is_ip;
    if (auto f = prepare_tls_connection(stream_.native_handle(), config_->tls, name, name_is_ip))
      return fail(std::move(f));
    stream_.async_handshake(
        asio::ssl::stream_base::client,
        beast::bind_front_handler(&session::on_tls_handshake, this->shared_from_this()));
  }
}

template <class Stream>
void session<Stream>::on_tls_handshake(const error_code& ec) {
  if constexpr (is_tls_v<Stream>) {
    if (phase_ != phase::tls_handshake)
      return;
    if (ec)
      return fail(classify_tls_failure(stream_.native_handle(), ec, url_.authority()));
    response_.tls_time =
        std::chrono::duration_cast<std::chrono::microseconds>(clock::now() - step_started_);
    do_upgrade();
  }
}

template <class Stream>
void session<Stream>::do_upgrade() {
  phase_ = phase::upgrading;
  step_started_ = clock::now();
  arm_timer(config_->timeouts.upgrade, errc::upgrade_timeout);
  websocket_key_ = make_websocket_key(keys_.next_nonce());
  http_request_ =
      std::make_unique<http::request<http::empty_body>>(http::verb::get, url_.target, 11);
  auto& req = *http_request_;
  req.set(http::field::host, url_.host_header());
  req.set(http::field::upgrade, "websocket");
  req.set(http::field::connection, "Upgrade");
  req.set(http::field::sec_websocket_key, websocket_key_);
  req.set(http::field::sec_websocket_version, "13");
  if (!config_->subprotocols.empty()) {
    std::string offer;
    for (const auto& p : config_->subprotocols)
      offer += (offer.empty() ? "" : ", ") + p;
    req.set(http::field::sec_websocket_protocol, offer);
  }
  if (const auto extensions = make_extension_offer(config_->compression); !extensions.empty())
    req.set(http::field::sec_websocket_extensions, extensions);
  if (!config_->user_agent.empty())
    req.set(http::field::user_agent, config_->user_agent);
  for (const auto& h : config_->headers)
    req.insert(h.name, h.value);
  http::async_write(
      stream_, req,
      beast::bind_front_handler(&session::on_upgrade_request_written, this->shared_from_this()));
}

template <class Stream>
void session<Stream>::on_upgrade_request_written(const error_code& ec, std::size_t) {
  if (phase_ != phase::upgrading)
    return;
  http_request_.reset(); // it carried the user's headers, possibly credentials
  if (ec)
    return fail(socket_failure(ec, "upgrade request"));
  http_reply_ = std::make_unique<http::response_parser<http::string_body>>();
  http_reply_->header_limit(max_http_header_bytes);
  http_reply_->body_limit(max_http_body_bytes);
  http::async_read(stream_, read_buffer_, *http_reply_,
                   beast::bind_front_handler(&session::on_upgrade_reply, this->shared_from_this()));
}

template <class Stream>
void session<Stream>::on_upgrade_reply(const error_code& ec, std::size_t) {
  if (phase_ != phase::upgrading)
    return;
  // A refusal may come with a body cut short by the server closing; the status still counts.
  if (ec && !http_reply_->is_header_done()) {
    auto why = socket_failure(ec, "upgrade response");
    if (ec == http::error::end_of_stream || ec == asio::error::eof ||
        ec == asio::error::connection_reset)
      why.detail = authority_for_errors() + " closed the connection before answering the " +
                   "upgrade request for " + url_.target + " (" + ec.message() + "); some " +
                   "servers do this for a path, subprotocol or header they do not accept";
    return fail(why);
  }
  const auto& res = http_reply_->get();
  upgrade_reply reply;
  reply.status = res.result_int();
  for (const auto& field : res)
    reply.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  http_reply_.reset();
  auto outcome =
      check_upgrade_reply(reply, websocket_key_, config_->subprotocols, config_->compression);
  response_.status = static_cast<std::uint16_t>(reply.status);
  response_.headers = std::move(reply.headers);
  if (outcome.error) {
    outcome.error.detail = url_.authority() + ": " + outcome.error.detail;
    return fail(std::move(outcome.error));
  }
  response_.upgrade_time =
      std::chrono::duration_cast<std::chrono::microseconds>(clock::now() - step_started_);
  open(outcome);
}

template <class Stream>
void session<Stream>::open(const upgrade_outcome& outcome) {
  ++timer_generation_; // the upgrade timer no longer applies
  timer_.cancel();
  phase_ = phase::open;
  response_.subprotocol = outcome.subprotocol;
  response_.compression = outcome.compression;
  if (outcome.compression) {
    inflater_ = std::make_unique<permessage_inflater>(outcome.deflate);
    deflater_ = std::make_unique<permessage_deflater>(outcome.deflate);
    reader_ = frame_reader(frame_reader_options{config_->max_message_size, inflater_.get()});
  }
  websocket_key_ = std::string{}; // the connection's state from here on is what it reads
  if (events_)
    events_->on_open(std::move(response_));
  // Frames may have arrived right behind the 101 response, in the same read.
  process_input();
  if (phase_ != phase::open)
    return;
  do_read();
  if (!queue_.empty() && !writing_)
    do_write();
}

// -- reading
// ---------------------------------------------------------------------------------------

template <class Stream>
void session<Stream>::do_read() {
  // Traffic calmed down: give back the memory of the larger reads.
  if (read_buffer_.size() == 0 && read_buffer_.capacity() > 2 * read_request_)
    read_buffer_.shrink_to_fit();
  const auto frame_rest = std::min<std::uint64_t>(reader_.frame_bytes_left(), read_chunk_bytes);
  const auto request = std::max(read_request_, static_cast<std::size_t>(frame_rest));
  stream_.async_read_some(read_buffer_.prepare(request),
                          beast::bind_front_handler(&session::on_read, this->shared_from_this()));
}

template <class Stream>
void session<Stream>::adapt_read_request(std::size_t bytes) {
  if (bytes >= read_request_) {
    small_reads_ = 0;
    read_request_ = std::min(read_request_ * 2, read_chunk_bytes);
  } else if (bytes < read_request_ / 8 && read_request_ > initial_read_bytes) {
    if (++small_reads_ < small_reads_to_shrink)
      return;
    small_reads_ = 0;
    read_request_ /= 2;
  } else {
    small_reads_ = 0;
  }
}

template <class Stream>
void session<Stream>::on_read(const error_code& ec, std::size_t bytes) {
  if (phase_ != phase::open)
    return;
  if (ec)
    return fail(socket_failure(ec, "read"));
  read_buffer_.commit(bytes);
  adapt_read_request(bytes);
  {
    // The actors these messages wake run as this scope ends, on this strand: a reply they send
    // is written at once (post_data).
    io_runtime::event_delivery delivery;
    process_input();
  }
  // After the peer's close frame only its FIN is left to read; teardown() reads that.
  if (phase_ == phase::open && close_.current() != close_handshake::state::closing_by_peer)
    do_read();
}

template <class Stream>
void session<Stream>::process_input() {
  const auto* bytes = static_cast<const char*>(read_buffer_.data().data());
  std::string_view input{bytes, read_buffer_.size()};
  read_event ev;
  while (!input.empty() && phase_ == phase::open) {
    input.remove_prefix(reader_.parse(input, ev));
    if (ev.what == read_event::type::none)
      break;
    handle(ev);
    ev.what = read_event::type::none;
  }
  read_buffer_.consume(read_buffer_.size() - input.size());
  deliver_batch();
}

template <class Stream>
void session<Stream>::deliver_batch() {
  if (batch_.empty())
    return;
  if (events_)
    events_->on_messages(std::move(batch_));
  batch_ = message_batch{};
}

template <class Stream>
void session<Stream>::handle(read_event& ev) {
  if (ev.what != read_event::type::message)
    deliver_batch(); // what came before goes first
  switch (ev.what) {
  case read_event::type::message:
    // Collected, and handed on once per read; the reader keeps the payload's memory.
    if (close_.accepts_data()) {
      batch_.add(ev.kind, ev.payload);
      if (batch_.bytes() >= batch_target_bytes)
        deliver_batch();
    }
    reader_.recycle(std::move(ev.payload));
    return;
  case read_event::type::ping:
    if (!close_.accepts_sends())
      break; // after our close frame we send nothing more, pongs included
    enqueue(outbound{opcode::pong, ev.payload, true}, true);
    if (events_)
      events_->on_ping(std::move(ev.payload));
    break;
  case read_event::type::pong:
    if (events_)
      events_->on_pong(std::move(ev.payload));
    break;
  case read_event::type::close:
    on_peer_close(ev.close_code, std::move(ev.close_reason));
    break;
  case read_event::type::error: {
    const auto code = ev.error.close_code;
    fail_and_close(std::move(ev.error), code);
    break;
  }
  case read_event::type::none:
    break;
  }
}

template <class Stream>
void session<Stream>::on_peer_close(std::uint16_t code, std::string reason) {
  const auto action = close_.on_peer_close(code, std::move(reason));
  if (action == close_handshake::action::close_socket) {
    // Our close was answered: the handshake is complete.
    disconnect_info info;
    info.initiator = close_initiator::local;
    info.code = code;
    info.reason = close_.received_reason();
    info.was_open = true;
    finish(std::move(info));
    return teardown();
  }
  if (action == close_handshake::action::send_close_reply) {
    accepting_.store(false, std::memory_order_release);
    // A closing peer will not read data we have not sent; the owner learns from frames_written.
    drop_queued_data();
    const auto echo = code == 1005 ? std::uint16_t{0} : code;
    enqueue(outbound{opcode::close, make_close_payload(echo, {}), false}, false);
    arm_timer(config_->timeouts.close, errc::close_timeout);
  }
}

template <class Stream>
void session<Stream>::drop_queued_data() {
  const auto is_data = [](const outbound& o) {
    return o.op == opcode::text || o.op == opcode::binary;
  };
  queue_depth_.fetch_sub(
      static_cast<std::size_t>(std::count_if(queue_.begin(), queue_.end(), is_data)));
  queue_.erase(std::remove_if(queue_.begin(), queue_.end(), is_data), queue_.end());
}

// -- writing
// ---------------------------------------------------------------------------------------

template <class Stream>
void session<Stream>::enqueue(outbound item, bool urgent) {
  if (phase_ == phase::finished) {
    if (item.op == opcode::text || item.op == opcode::binary)
      queue_depth_.fetch_sub(1);
    return;
  }
  if (urgent) // after the urgent frames already waiting, ahead of everything else
    queue_.insert(
        std::find_if(queue_.begin(), queue_.end(), [](const outbound& o) { return !o.urgent; }),
        std::move(item));
  else
    queue_.push_back(std::move(item));
  if (phase_ == phase::open && !writing_)
    do_write();
}

template <class Stream>
void session<Stream>::do_write() {
  while (fill_write_buffer()) {
    std::size_t sent = 0;
    if (write_at_once(sent)) {
      account_written();
      continue;
    }
    // The rest when the socket can take it; a write error shows up there too, in on_write.
    writing_ = true;
    asio::async_write(stream_, asio::buffer(write_buffer_) + sent,
                      beast::bind_front_handler(&session::on_write, this->shared_from_this()));
    return;
  }
}

/// Moves frames from the queue into write_buffer_, up to write_batch_bytes and at most up to a
/// close frame. False when there is nothing to write.
template <class Stream>
bool session<Stream>::fill_write_buffer() {
  write_buffer_.clear();
  batch_data_frames_ = 0;
  batch_has_close_ = false;
  while (!queue_.empty() && write_buffer_.size() < write_batch_bytes && !batch_has_close_) {
    auto item = std::move(queue_.front());
    queue_.pop_front();
    append_frame(item);
  }
  return !write_buffer_.empty();
}

/// Plain TCP, open connection, data frames only: writes write_buffer_ with one non-blocking
/// send. True when all of it went out; then there is no completion handler to wait for (an
/// asynchronous write always completes through the io queue, a round trip's worth of locking
/// and dispatch later). `sent` says how much went out otherwise. Close frames take the
/// asynchronous path, where the close handshake's steps run after the read that led to them.
template <class Stream>
bool session<Stream>::write_at_once(std::size_t& sent) {
  if constexpr (is_tls_v<Stream>) {
    return false;
  } else {
    if (phase_ != phase::open || batch_has_close_)
      return false;
    error_code ec;
    sent = raw_socket().write_some(asio::buffer(write_buffer_), ec);
    if (ec)
      sent = 0; // would_block, or an error the asynchronous write reports
    return sent == write_buffer_.size();
  }
}

template <class Stream>
void session<Stream>::account_written() {
  frames_written_ += batch_data_frames_;
  queue_depth_.fetch_sub(batch_data_frames_);
}

template <class Stream>
void session<Stream>::append_frame(outbound& item) {
  const bool compress = deflater_ && (item.op == opcode::text || item.op == opcode::binary);
  if (compress) {
    compressed_.clear();
    deflater_->deflate(item.payload, compressed_);
  }
  append_client_frame(write_buffer_, item.op, true, compress, compress ? compressed_ : item.payload,
                      keys_.next_key());
  if (item.op == opcode::text || item.op == opcode::binary)
    ++batch_data_frames_;
  if (item.op == opcode::close)
    batch_has_close_ = true;
}

template <class Stream>
void session<Stream>::on_write(const error_code& ec, std::size_t) {
  writing_ = false;
  if (phase_ == phase::finished) {
    // After finish() only fail_and_close() still writes: its close frame (perhaps queued behind
    // this batch), then a quiet teardown. Any other late completion just ends the socket.
    if (!ec && batch_has_close_)
      return teardown();
    if (!ec && !queue_.empty())
      return do_write();
    return close_socket();
  }
  if (ec)
    return fail(socket_failure(ec, "write"));
  account_written();
  if (batch_has_close_) {
    if (close_.current() == close_handshake::state::closing_by_peer) {
      close_.on_reply_written();
      disconnect_info info;
      info.initiator = close_initiator::remote;
      info.code = close_.received_code();
      info.reason = close_.received_reason();
      info.was_open = true;
      finish(std::move(info));
      return teardown();
    }
    // Our close is out: the peer has timeouts.close to answer; messages keep flowing meanwhile.
    arm_timer(config_->timeouts.close, errc::close_timeout);
    return;
  }
  if (!queue_.empty())
    do_write();
}

// -- timers
// ----------------------------------------------------------------------------------------

template <class Stream>
void session<Stream>::arm_timer(std::chrono::milliseconds after, errc on_expiry) {
  timer_error_ = on_expiry;
  timer_after_ = after;
  timer_.expires_after(after);
  timer_.async_wait([self = this->shared_from_this(),
                     gen = ++timer_generation_](const error_code& ec) { self->on_timer(ec, gen); });
}

template <class Stream>
void session<Stream>::on_timer(const error_code& ec, std::uint64_t generation) {
  if (ec || generation != timer_generation_)
    return; // cancelled or re-armed since
  if (phase_ == phase::finished) {
    close_socket(); // a quiet teardown took too long
    return;
  }
  const char* what = timer_error_ == errc::close_timeout     ? "close handshake with "
                     : timer_error_ == errc::tls_timeout     ? "TLS handshake with "
                     : timer_error_ == errc::upgrade_timeout ? "upgrade at "
                                                             : "connect to ";
  fail({timer_error_, what + authority_for_errors() + " took longer than " +
                          std::to_string(timer_after_.count()) + "ms"});
}

// -- endings
// ---------------------------------------------------------------------------------------

template <class Stream>
void session<Stream>::fail(failure f) {
  if (phase_ == phase::finished)
    return;
  disconnect_info info;
  info.was_open = phase_ == phase::open;
  if (close_.closed_by_us())
    info.code = close_.sent_code();
  close_.fail();
  info.error = std::move(f);
  finish(std::move(info));
  close_socket();
}

template <class Stream>
void session<Stream>::fail_and_close(failure f, std::uint16_t close_code) {
  if (phase_ == phase::finished)
    return;
  const bool may_send_close = close_.accepts_sends();
  disconnect_info info;
  info.was_open = true;
  info.code = close_code;
  info.error = std::move(f);
  finish(std::move(info));
  if (!may_send_close)
    return close_socket();
  // Fail the WebSocket connection (RFC 6455 section 7.1.7): a close frame with the reason, then
  // the socket goes, written or not, within timeouts.close.
  queue_.push_back(outbound{opcode::close, make_close_payload(close_code, {}), false});
  arm_timer(config_->timeouts.close, errc::close_timeout);
  if (!writing_) {
    do_write();
    if (!writing_)
      close_socket();
  }
}

template <class Stream>
void session<Stream>::finish(disconnect_info info) {
  if (phase_ == phase::finished)
    return;
  phase_ = phase::finished;
  accepting_.store(false, std::memory_order_release);
  drop_queued_data();
  queue_.clear();
  info.frames_written = frames_written_;
  resolver_.cancel();
  if (auto events = std::move(events_))
    events->on_closed(std::move(info));
}

template <class Stream>
void session<Stream>::teardown() {
  // The handshake is complete and reported; end TCP (and TLS) politely, bounded in time.
  arm_timer(config_->timeouts.close, errc::close_timeout);
  if constexpr (is_tls_v<Stream>) {
    stream_.async_shutdown(
        [self = this->shared_from_this()](const error_code&) { self->close_socket(); });
  } else {
    // Half-close and wait for the server's FIN: closing with unread data would send a RST that
    // can destroy the server's view of the close handshake.
    error_code ignored;
    raw_socket().shutdown(tcp::socket::shutdown_send, ignored);
    drain_until_eof();
  }
}

template <class Stream>
void session<Stream>::drain_until_eof() {
  read_buffer_.clear();
  stream_.async_read_some(read_buffer_.prepare(initial_read_bytes),
                          [self = this->shared_from_this()](const error_code& ec, std::size_t) {
                            if (ec)
                              return self->close_socket();
                            self->drain_until_eof();
                          });
}

template <class Stream>
void session<Stream>::close_socket() {
  ++timer_generation_;
  timer_.cancel();
  resolver_.cancel();
  error_code ignored; // closing fails only on a socket that is not open
  raw_socket().close(ignored);
}

template <class Stream>
failure session<Stream>::socket_failure(const error_code& ec, const char* step) const {
  if constexpr (is_tls_v<Stream>) {
    if (ec.category() == asio::error::get_ssl_category() &&
        ec != asio::ssl::error::stream_truncated)
      return {errc::tls_handshake_failed, std::string("TLS failure during ") + step + " with " +
                                              authority_for_errors() + ": " + ec.message()};
  }
  return classify_socket_error(ec, step, authority_for_errors(), proxy_.has_value());
}

template <class Stream>
const std::string& session<Stream>::connect_host() const {
  return proxy_ ? proxy_->host : url_.host;
}

template <class Stream>
std::uint16_t session<Stream>::connect_port() const {
  return proxy_ ? proxy_->port : url_.port;
}

template <class Stream>
std::string session<Stream>::authority_for_errors() const {
  return proxy_ ? url_.authority() + " (via proxy " + proxy_->host + ":" +
                      std::to_string(proxy_->port) + ")"
                : url_.authority();
}

} // namespace zenws::detail
