// One test server connection, from the TCP accept to its end; see detail/test_server_impl.hpp.
// The only translation unit that instantiates Beast's WebSocket and HTTP operations for the kit.

#include <zenws/testing/detail/test_server_impl.hpp>

#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <algorithm>
#include <cstdio>

namespace zenws::testing::detail {

namespace {

/// SO_RCVBUF while slow_reader is on; Linux doubles it and keeps at least 2304 bytes.
constexpr int slow_receive_buffer_bytes = 4096;

/// The first subprotocol the client offered (Sec-WebSocket-Protocol, possibly on several
/// lines) that the server supports; empty when none matches.
std::string choose_subprotocol(const http::request<http::string_body>& request,
                               const std::vector<std::string>& supported) {
  auto [first, last] = request.equal_range(http::field::sec_websocket_protocol);
  for (auto it = first; it != last; ++it) {
    std::string_view list{it->value().data(), it->value().size()};
    while (!list.empty()) {
      auto comma = list.find(',');
      auto item = list.substr(0, comma);
      list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
      while (!item.empty() && (item.front() == ' ' || item.front() == '\t'))
        item.remove_prefix(1);
      while (!item.empty() && (item.back() == ' ' || item.back() == '\t'))
        item.remove_suffix(1);
      if (std::find(supported.begin(), supported.end(), item) != supported.end())
        return std::string{item};
    }
  }
  return {};
}

/// A close frame built byte by byte: FIN + opcode 8, unmasked (server to client), the code in
/// network order, then the reason. Payloads over 125 bytes get the extended length RFC 6455 uses
/// for data frames, which a control frame may not have: that is the point when a test asks.
std::string raw_close_frame(std::uint16_t code, const std::string& reason) {
  std::string payload;
  payload += static_cast<char>(code >> 8);
  payload += static_cast<char>(code & 0xff);
  payload += reason;
  std::string bytes(1, static_cast<char>(0x88));
  const std::uint64_t n = payload.size();
  if (n < 126) {
    bytes += static_cast<char>(n);
  } else if (n <= 0xffff) {
    bytes += static_cast<char>(126);
    bytes += static_cast<char>(n >> 8);
    bytes += static_cast<char>(n & 0xff);
  } else {
    bytes += static_cast<char>(127);
    for (int shift = 56; shift >= 0; shift -= 8)
      bytes += static_cast<char>((n >> shift) & 0xff);
  }
  return bytes + payload;
}

} // namespace

std::shared_ptr<session> start_session(server_core& server, session_id id, tcp::socket socket) {
  auto s = std::make_shared<session>(server, id, std::move(socket));
  s->start();
  return s;
}

session::session(server_core& server, session_id id, tcp::socket socket)
    : server_(server), id_(id), ws_(std::move(socket), server.tls_context.get()),
      read_timer_(server.ioc), close_timer_(server.ioc) {
  if (auto* tls = ws_.next_layer().tls())
    observe_tls(tls->native_handle(), &tls_seen_);
}

session::~session() = default;

// -- handshakes ----------------------------------------------------------------------------------

void session::start() {
  auto* tls = ws_.next_layer().tls();
  if (!tls)
    return read_upgrade_request();
  tls->async_handshake(ssl::stream_base::server,
                       [self = shared_from_this()](error_code ec) { self->on_tls_handshake(ec); });
}

void session::on_tls_handshake(error_code ec) {
  if (ec)
    return end_socket();
  SSL* ssl = ws_.next_layer().tls()->native_handle();
  client_certificate_ =
      SSL_get0_peer_certificate(ssl) != nullptr && SSL_get_verify_result(ssl) == X509_V_OK;
  read_upgrade_request();
}

void session::read_upgrade_request() {
  http::async_read(
      ws_.next_layer(), buffer_, request_,
      [self = shared_from_this()](error_code ec, std::size_t) { self->on_upgrade_request(ec); });
}

void session::on_upgrade_request(error_code ec) {
  if (ec)
    return end_socket();
  // Bytes after the request would be frames sent before our 101, which Beast's
  // accept(request) cannot take over: dropping them beats prepending them to the first message.
  buffer_.consume(buffer_.size());

  seen_.session = id_;
  seen_.target = std::string{request_.target()};
  for (const auto& field : request_)
    seen_.headers.emplace_back(std::string{field.name_string()}, std::string{field.value()});
  seen_.sni = tls_seen_.sni;
  seen_.alpn_offer = tls_seen_.alpn_offer;
  seen_.client_certificate = client_certificate_;
  server_.on_upgrade_request(seen_);

  auto s = server_.settings(); // one snapshot decides this request's delay and answer
  if (s.upgrade_delay.count() <= 0)
    return answer_upgrade(s);
  close_timer_.expires_after(s.upgrade_delay);
  close_timer_.async_wait([self = shared_from_this(), s](error_code waited) {
    if (!waited && !self->ended_)
      self->answer_upgrade(s);
  });
}

void session::answer_upgrade(live_settings s) {
  if (s.refuse_status == 0 && s.hooks && s.hooks->screen) {
    auto verdict = s.hooks->screen(seen_);
    s.refuse_status = verdict.status;
    s.refuse_body = std::move(verdict.body);
  }
  if (s.refuse_status != 0) {
    auto& res = refusal_.emplace();
    res.version(request_.version());
    res.result(s.refuse_status);
    res.set(http::field::server, "zenws test server");
    res.set(http::field::connection, "close");
    // 1xx, 204 and 304 responses have no body by definition (RFC 9110 section 6.4.1).
    const bool bodiless =
        s.refuse_status / 100 == 1 || s.refuse_status == 204 || s.refuse_status == 304;
    if (!bodiless) {
      res.set(http::field::content_type, "text/plain");
      res.body() = s.refuse_body;
      res.content_length(res.body().size());
    }
    http::async_write(
        ws_.next_layer(), res,
        [self = shared_from_this()](error_code ec, std::size_t) { self->on_refused(ec); });
    return;
  }

  const auto& options = server_.options;
  // handshake_timeout also bounds our close handshakes: a client that never answers a close
  // frame costs close_answer_timeout, not forever. No idle timeout: stalls are the tests' call.
  websocket::stream_base::timeout timeouts{};
  timeouts.handshake_timeout = close_answer_timeout;
  timeouts.idle_timeout = websocket::stream_base::none();
  timeouts.keep_alive_pings = false;
  ws_.set_option(timeouts);
  ws_.read_message_max(options.max_message_size);
  ws_.auto_fragment(false); // one frame per message unless a test asks for fragments
  if (options.permessage_deflate) {
    websocket::permessage_deflate deflate;
    deflate.server_enable = true;
    ws_.set_option(deflate);
  }
  ws_.set_option(websocket::stream_base::decorator(
      [headers = options.response_headers,
       chosen = choose_subprotocol(request_, options.subprotocols)](websocket::response_type& res) {
        // Replace Beast's own value of a named header (Server, say) rather than doubling it.
        for (const auto& [name, value] : headers)
          res.erase(name);
        for (const auto& [name, value] : headers)
          res.insert(name, value);
        if (!chosen.empty())
          res.set(http::field::sec_websocket_protocol, chosen);
      }));
  ws_.async_accept(request_, [self = shared_from_this()](error_code ec) { self->on_upgrade(ec); });
}

void session::on_refused(error_code ec) {
  error_code ignored;
  ws_.next_layer().socket().shutdown(tcp::socket::shutdown_send, ignored);
  end_socket();
}

void session::on_upgrade(error_code ec) {
  if (ec)
    return end_socket();
  upgraded_ = true;
  // Runs inside our reads only, so `this` is alive whenever Beast calls it.
  ws_.control_callback([this](websocket::frame_type kind, beast::string_view payload) {
    if (kind == websocket::frame_type::close)
      return;
    const bool is_ping = kind == websocket::frame_type::ping;
    if (!is_ping)
      server_.on_pong(id_, std::string{payload});
    if (auto hooks = server_.settings().hooks; hooks && hooks->on_control)
      hooks->on_control(id_, is_ping, std::string{payload});
  });
  // Before on_upgraded, so that what the hook sets up is there once a waiter sees the session.
  if (auto hooks = server_.settings().hooks; hooks && hooks->on_open)
    hooks->on_open(seen_);
  server_.on_upgraded(shared_from_this(), id_);
  read_next();
}

// -- reading -------------------------------------------------------------------------------------

void session::read_next() {
  if (ended_ || stalled_)
    return;
  if (slow_delay_.count() <= 0)
    return start_read();
  read_timer_.expires_after(slow_delay_);
  read_timer_.async_wait([self = shared_from_this()](error_code ec) {
    if (!ec)
      self->start_read();
  });
}

void session::start_read() {
  if (ended_ || stalled_)
    return;
  ws_.async_read(buffer_,
                 [self = shared_from_this()](error_code ec, std::size_t) { self->on_read(ec); });
}

void session::on_read(error_code ec) {
  if (stalled_)
    return; // cancelled by stall(): the client must see nothing more, not even an end
  if (ec) {
    if (ec == websocket::error::closed) {
      const auto& r = ws_.reason();
      return end(true, r.code, std::string{r.reason.data(), r.reason.size()});
    }
    return end_socket();
  }
  frame received{id_, ws_.got_binary(), beast::buffers_to_string(buffer_.data())};
  buffer_.consume(buffer_.size());
  server_.on_frame(received);

  auto s = server_.settings();
  std::vector<frame> replies;
  try {
    replies = (*s.reply)(received);
  } catch (const std::exception& e) {
    // An exception must not escape into the io thread; the test sees the missing reply.
    std::fprintf(stderr, "zenws::testing::test_server: the responder threw: %s\n", e.what());
  }
  if (replies.empty())
    return read_next();
  if (s.reply_delay.count() <= 0)
    return queue_replies(std::move(replies));
  read_timer_.expires_after(s.reply_delay);
  read_timer_.async_wait(
      [self = shared_from_this(), replies = std::move(replies)](error_code waited) mutable {
        if (!waited)
          self->queue_replies(std::move(replies));
      });
}

void session::queue_replies(std::vector<frame> replies) {
  for (auto& r : replies) {
    outbound o;
    o.what = outbound::kind::message;
    o.binary = r.binary;
    o.data = std::move(r.data);
    enqueue(std::move(o));
  }
  outbound next_read;
  next_read.what = outbound::kind::read;
  enqueue(std::move(next_read));
}

// -- writing -------------------------------------------------------------------------------------

void session::enqueue(outbound o) {
  if (ended_ || stalled_)
    return;
  queue_.push_back(std::move(o));
  write_next();
}

void session::write_next() {
  while (!writing_ && !queue_.empty() && !ended_ && !stalled_) {
    auto self = shared_from_this();
    auto on_done = [self](error_code ec, std::size_t = 0) { self->on_write(ec); };
    // A deque keeps the front element in place while we push at the back, so the buffers
    // below stay valid until the write's completion pops it.
    outbound& o = queue_.front();
    switch (o.what) {
    case outbound::kind::read:
      queue_.pop_front();
      read_next();
      break;
    case outbound::kind::message:
      writing_ = true;
      ws_.binary(o.binary);
      ws_.async_write(net::buffer(o.data), on_done);
      break;
    case outbound::kind::fragmented:
      writing_ = true;
      ws_.binary(o.binary);
      write_fragment();
      break;
    case outbound::kind::ping: {
      writing_ = true;
      const auto n = std::min(o.data.size(), websocket::ping_data::static_capacity);
      ws_.async_ping(websocket::ping_data{beast::string_view{o.data.data(), n}}, on_done);
      break;
    }
    case outbound::kind::raw:
      writing_ = true;
      ws_.next_layer().async_write_raw(net::buffer(o.data), on_done);
      break;
    case outbound::kind::close: {
      writing_ = true;
      websocket::close_reason reason{o.code};
      reason.reason.assign(o.data.data(), o.data.size());
      ws_.async_close(reason, [self](error_code ec) { self->on_close(ec); });
      break;
    }
    case outbound::kind::raw_close:
      writing_ = true;
      ws_.next_layer().async_write_raw(net::buffer(o.data), on_done);
      // Our read loop sees the client's answer (and Beast, not knowing it sent a close, answers
      // that in turn); a client that never answers loses the connection after the timeout.
      close_timer_.expires_after(close_answer_timeout);
      close_timer_.async_wait([self](error_code ec) {
        if (ec || self->ended_ || self->stalled_)
          return;
        error_code ignored;
        self->ws_.next_layer().socket().close(ignored);
      });
      break;
    }
  }
}

void session::write_fragment() {
  outbound& o = queue_.front();
  const std::size_t n = std::min(o.fragment_bytes, o.data.size() - o.offset);
  const bool fin = o.offset + n == o.data.size();
  ws_.async_write_some(fin, net::buffer(o.data.data() + o.offset, n),
                       [self = shared_from_this(), n, fin](error_code ec, std::size_t) {
                         if (ec || fin || self->ended_ || self->stalled_)
                           return self->on_write(ec);
                         self->queue_.front().offset += n;
                         self->write_fragment();
                       });
}

void session::on_write(error_code) {
  // A failed write ends nothing here: the read side sees the same broken connection and
  // reports how it ended.
  writing_ = false;
  if (!queue_.empty())
    queue_.pop_front();
  write_next();
}

void session::on_close(error_code ec) {
  if (!ec) {
    const auto& r = ws_.reason();
    end(true, r.code, std::string{r.reason.data(), r.reason.size()});
  } else {
    end_socket(); // no answer in time, or the connection broke first (then already ended)
  }
  on_write(ec);
}

void session::drop_queued() {
  // The element at the front is on the wire while writing_: its buffer must live until then.
  if (writing_ && !queue_.empty())
    queue_.erase(queue_.begin() + 1, queue_.end());
  else
    queue_.clear();
}

// -- injection and faults ------------------------------------------------------------------------

void session::send(frame f) {
  outbound o;
  o.what = outbound::kind::message;
  o.binary = f.binary;
  o.data = std::move(f.data);
  enqueue(std::move(o));
}

void session::send_fragmented(frame f, std::size_t fragment_bytes) {
  outbound o;
  o.what = outbound::kind::fragmented;
  o.binary = f.binary;
  o.data = std::move(f.data);
  o.fragment_bytes = std::max<std::size_t>(fragment_bytes, 1);
  enqueue(std::move(o));
}

void session::ping(std::string payload) {
  outbound o;
  o.what = outbound::kind::ping;
  o.data = std::move(payload);
  enqueue(std::move(o));
}

void session::send_raw(std::string bytes) {
  outbound o;
  o.what = outbound::kind::raw;
  o.data = std::move(bytes);
  enqueue(std::move(o));
}

void session::close(std::uint16_t code, std::string reason) {
  outbound o;
  o.code = code;
  // Beast sends any code we give it except 0 (its "no code": an empty close frame) and takes
  // reasons up to 123 bytes; it allows one close per stream. Everything else goes out raw.
  if (code != 0 && reason.size() <= websocket::reason_string::static_capacity &&
      !beast_close_queued_) {
    beast_close_queued_ = true;
    o.what = outbound::kind::close;
    o.data = std::move(reason);
  } else {
    o.what = outbound::kind::raw_close;
    o.data = raw_close_frame(code, reason);
  }
  enqueue(std::move(o));
}

void session::reset() {
  if (ended_)
    return;
  error_code ignored;
  auto& socket = ws_.next_layer().socket();
  socket.set_option(net::socket_base::linger(true, 0), ignored); // close() then sends RST
  socket.close(ignored);
  end_socket();
}

void session::stall() {
  if (ended_ || stalled_)
    return;
  stalled_ = true;
  read_timer_.cancel();
  close_timer_.cancel();
  drop_queued();
  ws_.next_layer().freeze();
  error_code ignored;
  ws_.next_layer().socket().cancel(ignored); // the read (and any write) in flight
  server_.keep_stalled(shared_from_this());
}

void session::slow_reader(milliseconds delay) {
  if (ended_)
    return;
  slow_delay_ = delay;
  auto& socket = ws_.next_layer().socket();
  error_code ignored;
  if (delay.count() > 0) {
    if (original_rcvbuf_ == 0) {
      net::socket_base::receive_buffer_size current;
      socket.get_option(current, ignored);
      original_rcvbuf_ = current.value();
    }
    socket.set_option(net::socket_base::receive_buffer_size{slow_receive_buffer_bytes}, ignored);
  } else if (original_rcvbuf_ != 0) {
    // Linux reports twice what was set (it adds its bookkeeping), so set half to restore.
    socket.set_option(net::socket_base::receive_buffer_size{original_rcvbuf_ / 2}, ignored);
    original_rcvbuf_ = 0;
  }
}

void session::shutdown() {
  read_timer_.cancel();
  close_timer_.cancel();
  ws_.next_layer().drop_waiting();
}

// -- the end -------------------------------------------------------------------------------------

void session::end(bool close_frame, std::uint16_t code, std::string reason) {
  if (ended_)
    return;
  ended_ = true;
  read_timer_.cancel();
  close_timer_.cancel();
  drop_queued();
  if (!close_frame) {
    // After a close handshake Beast has already torn the connection down; otherwise close now,
    // so that a client still reading sees the end at once.
    error_code ignored;
    ws_.next_layer().socket().close(ignored);
  }
  const session_end seen_end{id_, close_frame, code, std::move(reason)};
  server_.on_end(seen_end, upgraded_);
  if (!upgraded_)
    return;
  if (auto hooks = server_.settings().hooks; hooks && hooks->on_end)
    hooks->on_end(seen_end);
}

} // namespace zenws::testing::detail
