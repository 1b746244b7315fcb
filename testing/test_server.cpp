// The test server: its io thread, acceptor, settings and observations, and the public API that
// forwards to them. Sessions live in test_server_session.cpp.

#include <zenws/testing/detail/test_server_impl.hpp>

#include <boost/asio/post.hpp>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <future>

namespace zenws::testing {

// -- upgrade_request -----------------------------------------------------------------------------

std::optional<std::string> upgrade_request::header(const std::string& name) const {
  auto same = [](const std::string& a, const std::string& b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
             return std::tolower(static_cast<unsigned char>(x)) ==
                    std::tolower(static_cast<unsigned char>(y));
           });
  };
  for (const auto& [n, v] : headers)
    if (same(n, name))
      return v;
  return std::nullopt;
}

namespace detail {

namespace {

std::vector<frame> echo_reply(const frame& received) {
  return {frame{0, received.binary, received.data}};
}

} // namespace

// -- server_core: life -----------------------------------------------------------------------

server_core::server_core(server_options opts)
    : options(std::move(opts)), acceptor_(ioc), work_(net::make_work_guard(ioc)) {
  settings_.reply = std::make_shared<const responder>(&echo_reply);
  if (options.tls)
    make_tls();

  // Opened here, before the io thread runs, so that port() is known when the constructor
  // returns and a client may connect at once.
  tcp::endpoint endpoint{net::ip::make_address_v4("127.0.0.1"), options.port};
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(net::socket_base::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(net::socket_base::max_listen_connections);
  port = acceptor_.local_endpoint().port();
  accept_next();

  thread_ = std::thread{[this] {
    // A throwing handler (a test's responder, say) must not take the whole process down with
    // std::terminate; report it and keep serving.
    for (;;) {
      try {
        ioc.run();
        return;
      } catch (const std::exception& e) {
        std::fprintf(stderr, "zenws::testing::test_server: io thread: %s\n", e.what());
      }
    }
  }};
}

server_core::~server_core() {
  stop();
}

void server_core::make_tls() {
  auto ca = certificate_authority::create();
  auto server = ca.issue_server(options.certificate_names);
  auto client = ca.issue_client();
  pem_dir_ = std::make_unique<pem_directory>();
  files.ca_file = pem_dir_->write("ca.pem", ca.certificate_pem());
  files.client_cert_file = pem_dir_->write("client.pem", client.certificate_pem);
  files.client_key_file = pem_dir_->write("client-key.pem", client.private_key_pem);
  tls_context = make_server_tls_context(options, ca.certificate_pem(), server);
}

void server_core::stop() {
  if (!thread_.joinable())
    return;
  post([this] {
    error_code ignored;
    acceptor_.close(ignored);
    for (auto& [id, weak] : sessions_)
      if (auto s = weak.lock())
        s->shutdown();
    stalled_.clear();
    held_.clear();
    work_.reset();
    ioc.stop(); // what is still pending is destroyed with the io_context, sockets included
  });
  thread_.join();
}

// -- server_core: io thread ------------------------------------------------------------------

void server_core::run_on_io(const std::function<void()>& f) {
  if (ioc.get_executor().running_in_this_thread())
    return f();
  std::promise<void> done;
  auto ran = done.get_future();
  net::post(ioc, [&] {
    f();
    done.set_value();
  });
  ran.wait();
}

void server_core::post(std::function<void()> f) {
  net::post(ioc, std::move(f));
}

void server_core::accept_next() {
  acceptor_.async_accept(
      [this](error_code ec, tcp::socket socket) { on_accept(ec, std::move(socket)); });
}

void server_core::on_accept(error_code ec, tcp::socket socket) {
  if (!acceptor_.is_open())
    return; // stop_listening() or the server is stopping
  if (ec) {
    // EMFILE and friends: this connection is lost, but the server keeps listening.
    accept_next();
    return;
  }
  {
    std::lock_guard<std::mutex> lock{observed_mutex};
    ++observed.accepted;
  }
  observed_changed.notify_all();
  const session_id id = ++next_id_;
  switch (settings().mode) {
  case accept_mode::serve: {
    // Small frames go out at once, as from an exchange's gateway: with Nagle's algorithm, a
    // reply written right after another waits for the client's delayed ACK (40 ms on Linux).
    error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    sessions_[id] = start_session(*this, id, std::move(socket));
    break;
  }
  case accept_mode::hold:
    held_.push_back(std::move(socket));
    break;
  case accept_mode::reset: {
    error_code ignored;
    socket.set_option(net::socket_base::linger(true, 0), ignored);
    socket.close(ignored);
    break;
  }
  }
  accept_next();
}

void server_core::stop_listening() {
  run_on_io([this] {
    error_code ignored;
    acceptor_.close(ignored);
  });
}

std::shared_ptr<session> server_core::find_open(session_id id) const {
  auto it = open_.find(id);
  return it == open_.end() ? nullptr : it->second.lock();
}

std::vector<std::shared_ptr<session>> server_core::open_sessions() const {
  std::vector<std::shared_ptr<session>> result;
  for (const auto& [id, weak] : open_)
    if (auto s = weak.lock())
      result.push_back(std::move(s));
  return result;
}

// -- server_core: observations ---------------------------------------------------------------

live_settings server_core::settings() const {
  std::lock_guard<std::mutex> lock{settings_mutex_};
  return settings_;
}

void server_core::on_frame(const frame& f) {
  {
    std::lock_guard<std::mutex> lock{observed_mutex};
    observed.frames.push_back(f);
  }
  observed_changed.notify_all();
}

void server_core::on_upgrade_request(upgrade_request request) {
  {
    std::lock_guard<std::mutex> lock{observed_mutex};
    observed.upgrades.push_back(std::move(request));
  }
  observed_changed.notify_all();
}

void server_core::on_upgraded(const std::shared_ptr<session>& s, session_id id) {
  open_[id] = s;
  {
    std::lock_guard<std::mutex> lock{observed_mutex};
    ++observed.upgraded;
    ++observed.open;
    observed.newest = id;
  }
  observed_changed.notify_all();
}

void server_core::on_pong(session_id id, std::string payload) {
  {
    std::lock_guard<std::mutex> lock{observed_mutex};
    observed.pongs.emplace(id, std::move(payload));
  }
  observed_changed.notify_all();
}

void server_core::on_end(const session_end& end, bool was_upgraded) {
  open_.erase(end.session);
  sessions_.erase(end.session);
  {
    std::lock_guard<std::mutex> lock{observed_mutex};
    observed.ends[end.session] = end;
    if (was_upgraded)
      --observed.open;
  }
  observed_changed.notify_all();
}

} // namespace detail

// -- test_server ---------------------------------------------------------------------------------

struct test_server::impl : detail::server_core {
  using server_core::server_core;

  /// Waits until `ready(observed)` returns a value, then returns it; nullopt on timeout.
  template <class T, class F>
  std::optional<T> wait(milliseconds timeout, F ready) {
    std::unique_lock<std::mutex> lock{observed_mutex};
    std::optional<T> result;
    observed_changed.wait_for(lock, timeout, [&] {
      result = ready(observed);
      return result.has_value();
    });
    return result;
  }

  /// Runs `f(session)` on the io thread if `id` is open then; else does nothing.
  template <class F>
  void with_session(session_id id, F f) {
    post([this, id, f = std::move(f)]() mutable {
      if (auto s = find_open(id))
        f(*s);
    });
  }
};

test_server::test_server(server_options options)
    : impl_(std::make_shared<impl>(std::move(options))) {}

test_server::~test_server() = default;

std::uint16_t test_server::port() const {
  return impl_->port;
}

std::string test_server::url(const std::string& target) const {
  std::string path = target.empty() || target.front() != '/' ? "/" + target : target;
  return std::string{impl_->options.tls ? "wss" : "ws"} +
         "://127.0.0.1:" + std::to_string(impl_->port) + path;
}

const tls_files& test_server::tls() const {
  return impl_->files;
}

void test_server::set_responder(responder r) {
  auto reply =
      r ? std::make_shared<const responder>(std::move(r))
        : std::make_shared<const responder>([](const frame&) { return std::vector<frame>{}; });
  impl_->change_settings([&](detail::live_settings& s) { s.reply = std::move(reply); });
}

void test_server::set_hooks(session_hooks hooks) {
  auto shared = std::make_shared<const session_hooks>(std::move(hooks));
  impl_->change_settings([&](detail::live_settings& s) { s.hooks = std::move(shared); });
}

void test_server::echo() {
  set_responder(&detail::echo_reply);
}

void test_server::silent() {
  set_responder([](const frame&) { return std::vector<frame>{}; });
}

void test_server::set_reply_delay(milliseconds delay) {
  impl_->change_settings([&](detail::live_settings& s) { s.reply_delay = delay; });
}

void test_server::send(session_id session, frame f) {
  impl_->with_session(session,
                      [f = std::move(f)](detail::session& s) mutable { s.send(std::move(f)); });
}

void test_server::broadcast(frame f) {
  impl_->post([impl = impl_.get(), f = std::move(f)] {
    for (auto& s : impl->open_sessions())
      s->send(f);
  });
}

void test_server::send_fragmented(session_id session, frame f, std::size_t fragment_bytes) {
  impl_->with_session(session, [f = std::move(f), fragment_bytes](detail::session& s) mutable {
    s.send_fragmented(std::move(f), fragment_bytes);
  });
}

void test_server::ping(session_id session, std::string payload) {
  impl_->with_session(
      session, [p = std::move(payload)](detail::session& s) mutable { s.ping(std::move(p)); });
}

void test_server::send_raw(session_id session, std::string bytes) {
  impl_->with_session(
      session, [b = std::move(bytes)](detail::session& s) mutable { s.send_raw(std::move(b)); });
}

std::optional<frame> test_server::wait_for_frame(const std::function<bool(const frame&)>& match,
                                                 milliseconds timeout) {
  return impl_->wait<frame>(timeout, [&](const detail::observations& o) -> std::optional<frame> {
    for (const auto& f : o.frames)
      if (match(f))
        return f;
    return std::nullopt;
  });
}

std::optional<session_id> test_server::wait_for_sessions(std::size_t count, milliseconds timeout) {
  return impl_->wait<session_id>(timeout,
                                 [&](const detail::observations& o) -> std::optional<session_id> {
                                   if (o.upgraded >= count && o.upgraded > 0)
                                     return o.newest;
                                   return std::nullopt;
                                 });
}

std::optional<session_end> test_server::wait_for_end(session_id session, milliseconds timeout) {
  return impl_->wait<session_end>(timeout,
                                  [&](const detail::observations& o) -> std::optional<session_end> {
                                    auto it = o.ends.find(session);
                                    if (it == o.ends.end())
                                      return std::nullopt;
                                    return it->second;
                                  });
}

bool test_server::wait_for_pong(session_id session, const std::string& payload,
                                milliseconds timeout) {
  return impl_
      ->wait<bool>(timeout,
                   [&](const detail::observations& o) -> std::optional<bool> {
                     if (o.pongs.count({session, payload}))
                       return true;
                     return std::nullopt;
                   })
      .has_value();
}

std::vector<frame> test_server::frames() const {
  std::lock_guard<std::mutex> lock{impl_->observed_mutex};
  return impl_->observed.frames;
}

std::vector<upgrade_request> test_server::upgrade_requests() const {
  std::lock_guard<std::mutex> lock{impl_->observed_mutex};
  return impl_->observed.upgrades;
}

void test_server::clear_history() {
  std::lock_guard<std::mutex> lock{impl_->observed_mutex};
  auto& o = impl_->observed;
  o.frames = {};
  o.upgrades = {};
  o.ends = {};
  o.pongs = {};
}

std::size_t test_server::open_sessions() const {
  std::lock_guard<std::mutex> lock{impl_->observed_mutex};
  return impl_->observed.open;
}

std::size_t test_server::accepted_connections() const {
  std::lock_guard<std::mutex> lock{impl_->observed_mutex};
  return impl_->observed.accepted;
}

void test_server::close(session_id session, std::uint16_t code, std::string reason) {
  impl_->with_session(session, [code, r = std::move(reason)](detail::session& s) mutable {
    s.close(code, std::move(r));
  });
}

void test_server::reset(session_id session) {
  impl_->with_session(session, [](detail::session& s) { s.reset(); });
}

void test_server::stall(session_id session) {
  impl_->with_session(session, [](detail::session& s) { s.stall(); });
}

void test_server::slow_reader(session_id session, milliseconds delay) {
  impl_->with_session(session, [delay](detail::session& s) { s.slow_reader(delay); });
}

void test_server::refuse_upgrade(unsigned status, std::string body) {
  impl_->change_settings([&](detail::live_settings& s) {
    s.refuse_status = status;
    s.refuse_body = std::move(body);
  });
}

void test_server::delay_upgrade(milliseconds delay) {
  impl_->change_settings([&](detail::live_settings& s) { s.upgrade_delay = delay; });
}

void test_server::set_accept_mode(accept_mode mode) {
  impl_->change_settings([&](detail::live_settings& s) { s.mode = mode; });
}

void test_server::stop_listening() {
  impl_->stop_listening();
}

} // namespace zenws::testing
