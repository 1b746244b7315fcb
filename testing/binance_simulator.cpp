// The Binance simulator: test_server's hooks and responder feed binance_state under one mutex;
// a timer thread sends pings and enforces pong deadlines and lifetimes. Streams and the WS API
// are in binance_streams.cpp and binance_ws_api.cpp.

#include <zenws/testing/detail/binance_state.hpp>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace zenws::testing {

namespace detail {

binance_state::binance_state(binance_simulator_options o, steady_time start)
    : options(std::move(o)), started(start) {
  if (options.weight_window.count() <= 0)
    throw std::invalid_argument("binance_simulator: weight_window must be positive");
  for (const auto& symbol : options.symbols)
    books[symbol];
}

} // namespace detail

using namespace detail;

namespace {

using steady = std::chrono::steady_clock;

constexpr std::uint16_t policy_violation = 1008; ///< rate limit, pong timeout, ban
constexpr std::uint16_t going_away = 1001;       ///< lifetime
constexpr std::chrono::seconds incoming_window{1};
/// How long the timer sleeps when no session has a deadline (a new session wakes it).
constexpr std::chrono::hours idle_sleep{1};

} // namespace

struct binance_simulator::impl {
  explicit impl(binance_simulator_options options);
  ~impl();
  impl(const impl&) = delete;
  impl& operator=(const impl&) = delete;

  std::int64_t server_ms() const {
    const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
    return std::chrono::duration_cast<milliseconds>(since_epoch + state.options.clock_offset)
        .count();
  }

  // -- io thread (test_server's hooks and responder) -----------------------------------------

  upgrade_verdict screen(const upgrade_request& request);
  void on_open(const upgrade_request& request);
  void on_control(session_id id, bool is_ping, const std::string& payload);
  std::vector<frame> on_frame(const frame& f);
  void on_end(const session_end& end);

  // -- rules (mutex held) --------------------------------------------------------------------

  bool over_incoming_limit(session_id id, binance_session& s, steady_time now, actions& out);
  void on_pong(binance_session& s, const std::string& payload);
  steady_time tick(session_id id, binance_session& s, steady_time now, actions& out);
  void close(session_id id, binance_session& s, std::uint16_t code, const char* reason,
             std::size_t& counter, actions& out);
  /// test_server's injections only queue work on its io thread, so they may run under our lock.
  void perform(const actions& out);
  order_book& book(const std::string& symbol);
  binance_counters snapshot();

  void run_timer();

  mutable std::mutex mutex;
  std::condition_variable changed; ///< counters or sessions changed: the waiters
  std::condition_variable wake;    ///< deadlines changed: the timer thread
  bool stopping = false;
  binance_state state;
  std::unique_ptr<test_server> server;
  std::thread timer;
};

binance_simulator::impl::impl(binance_simulator_options options)
    : state(std::move(options), steady::now()),
      server(std::make_unique<test_server>(state.options.server)) {
  server->set_responder([this](const frame& f) { return on_frame(f); });
  session_hooks hooks;
  hooks.screen = [this](const upgrade_request& r) { return screen(r); };
  hooks.on_open = [this](const upgrade_request& r) { on_open(r); };
  hooks.on_control = [this](session_id id, bool is_ping, const std::string& payload) {
    on_control(id, is_ping, payload);
  };
  hooks.on_end = [this](const session_end& end) { on_end(end); };
  server->set_hooks(std::move(hooks));
  timer = std::thread{[this] { run_timer(); }};
}

binance_simulator::impl::~impl() {
  {
    std::lock_guard<std::mutex> lock{mutex};
    stopping = true;
  }
  wake.notify_all();
  timer.join();
  server.reset(); // joins the io thread while the state its hooks use still exists
}

// -- sessions ------------------------------------------------------------------------------------

upgrade_verdict binance_simulator::impl::screen(const upgrade_request& request) {
  auto r = parse_route(request.target, state.options.max_streams);
  std::lock_guard<std::mutex> lock{mutex};
  if (r.refusal.status == 0 && r.kind == endpoint::api && state.banned &&
      steady::now() < *state.banned)
    r.refusal = {418, "IP banned"};
  if (r.refusal.status != 0) {
    ++state.counters.refused_upgrades;
    state.counters.stream_limit_rejections += r.over_stream_limit ? 1 : 0;
    changed.notify_all();
  }
  return r.refusal;
}

void binance_simulator::impl::on_open(const upgrade_request& request) {
  auto r = parse_route(request.target, state.options.max_streams);
  const auto& o = state.options;
  const auto now = steady::now();
  binance_session s;
  s.kind = r.kind;
  s.combined = r.kind == endpoint::combined;
  s.streams = std::move(r.streams);
  s.return_rate_limits = r.return_rate_limits;
  s.next_ping = now + o.ping_interval;
  s.end_at = now + o.lifetime;
  s.notice_at = s.end_at - o.shutdown_notice;
  std::lock_guard<std::mutex> lock{mutex};
  if (s.kind == endpoint::api)
    charge_connection(state, now);
  state.sessions[request.session] = std::move(s);
  ++state.counters.sessions_opened;
  ++state.counters.open_sessions;
  wake.notify_all();
  changed.notify_all();
}

void binance_simulator::impl::on_end(const session_end& end) {
  std::lock_guard<std::mutex> lock{mutex};
  if (state.sessions.erase(end.session) != 0)
    --state.counters.open_sessions;
  changed.notify_all();
}

void binance_simulator::impl::close(session_id id, binance_session& s, std::uint16_t code,
                                    const char* reason, std::size_t& counter, actions& out) {
  s.closing = true;
  ++counter;
  action a;
  a.what = action::kind::close;
  a.session = id;
  a.code = code;
  a.data = reason;
  out.push_back(std::move(a));
}

void binance_simulator::impl::perform(const actions& out) {
  for (const auto& a : out) {
    switch (a.what) {
    case action::kind::send:
      server->send(a.session, frame{0, false, a.data});
      break;
    case action::kind::ping:
      server->ping(a.session, a.data);
      break;
    case action::kind::close:
      server->close(a.session, a.code, a.data);
      break;
    }
  }
}

// -- incoming frames -----------------------------------------------------------------------------

bool binance_simulator::impl::over_incoming_limit(session_id id, binance_session& s,
                                                  steady_time now, actions& out) {
  const auto max = state.options.max_incoming_per_second;
  if (s.kind == endpoint::api || max == 0)
    return false;
  s.incoming.push_back(now);
  while (now - s.incoming.front() >= incoming_window)
    s.incoming.pop_front();
  if (s.incoming.size() <= max)
    return false;
  close(id, s, policy_violation, "Too many requests", state.counters.rate_limit_closes, out);
  return true;
}

void binance_simulator::impl::on_pong(binance_session& s, const std::string& payload) {
  const bool numeric =
      !payload.empty() && payload.size() <= 19 &&
      std::all_of(payload.begin(), payload.end(), [](char c) { return c >= '0' && c <= '9'; });
  const auto number = numeric ? std::stoull(payload) : 0;
  if (numeric && s.pings.count(number) != 0) {
    // A pong answers its ping and every earlier one (RFC 6455 5.5.3 lets a client skip some).
    s.pings.erase(s.pings.begin(), s.pings.upper_bound(number));
    ++state.counters.pongs_received;
  } else {
    ++state.counters.unsolicited_pongs;
  }
}

void binance_simulator::impl::on_control(session_id id, bool is_ping, const std::string& payload) {
  std::lock_guard<std::mutex> lock{mutex};
  auto it = state.sessions.find(id);
  if (it == state.sessions.end() || it->second.closing)
    return;
  actions out;
  if (!over_incoming_limit(id, it->second, steady::now(), out) && !is_ping)
    on_pong(it->second, payload);
  perform(out);
  changed.notify_all();
}

std::vector<frame> binance_simulator::impl::on_frame(const frame& f) {
  std::lock_guard<std::mutex> lock{mutex};
  auto it = state.sessions.find(f.session);
  if (it == state.sessions.end() || it->second.closing)
    return {};
  auto& s = it->second;
  const auto now = steady::now();
  actions out;
  std::string reply;
  if (!over_incoming_limit(f.session, s, now, out)) {
    if (s.kind == endpoint::api) {
      auto answer = answer_api_request(state, s, f.data, now, server_ms());
      reply = std::move(answer.reply);
      // The close is queued after this reply, which test_server writes before its next read.
      if (answer.ban)
        close(f.session, s, policy_violation, "IP banned", state.counters.ban_closes, out);
    } else {
      reply = answer_stream_request(state, s, f.data);
    }
  }
  perform(out);
  changed.notify_all();
  if (reply.empty())
    return {};
  return {frame{0, false, std::move(reply)}};
}

// -- timers --------------------------------------------------------------------------------------

steady_time binance_simulator::impl::tick(session_id id, binance_session& s, steady_time now,
                                          actions& out) {
  const auto& o = state.options;
  const auto never = now + idle_sleep;
  if (s.closing)
    return never;
  if (o.lifetime.count() > 0 && now >= s.end_at) {
    close(id, s, going_away, "Connection lifetime expired", state.counters.lifetime_closes, out);
    return never;
  }
  if (o.pong_timeout.count() > 0 && !s.pings.empty() && now >= s.pings.begin()->second) {
    close(id, s, policy_violation, "Pong timeout", state.counters.pong_timeout_closes, out);
    return never;
  }
  const bool notice_due = o.lifetime.count() > 0 && o.shutdown_notice.count() > 0;
  if (notice_due && !s.notice_sent && now >= s.notice_at) {
    s.notice_sent = true;
    ++state.counters.shutdown_notices;
    out.push_back(action{action::kind::send, id, shutdown_event(s, server_ms()), 0});
  }
  if (o.ping_interval.count() > 0 && now >= s.next_ping) {
    const auto number = state.next_ping++;
    out.push_back(action{action::kind::ping, id, std::to_string(number), 0});
    ++state.counters.pings_sent;
    if (o.pong_timeout.count() > 0)
      s.pings[number] = now + o.pong_timeout;
    s.next_ping = std::max(s.next_ping + o.ping_interval, now); // no burst after a stall
  }
  auto next = never;
  if (o.lifetime.count() > 0)
    next = std::min(next, s.end_at);
  if (notice_due && !s.notice_sent)
    next = std::min(next, s.notice_at);
  if (o.ping_interval.count() > 0)
    next = std::min(next, s.next_ping);
  if (!s.pings.empty())
    next = std::min(next, s.pings.begin()->second);
  return next;
}

void binance_simulator::impl::run_timer() {
  std::unique_lock<std::mutex> lock{mutex};
  while (!stopping) {
    const auto now = steady::now();
    auto next = now + idle_sleep;
    actions out;
    for (auto& [id, s] : state.sessions)
      next = std::min(next, tick(id, s, now, out));
    if (!out.empty()) {
      perform(out);
      changed.notify_all();
    }
    wake.wait_until(lock, next);
  }
}

// -- market data ---------------------------------------------------------------------------------

order_book& binance_simulator::impl::book(const std::string& symbol) {
  auto it = state.books.find(symbol);
  if (it == state.books.end())
    throw std::invalid_argument("binance_simulator: unknown symbol " + symbol);
  return it->second;
}

binance_counters binance_simulator::impl::snapshot() {
  auto c = state.counters;
  c.weight_used = weight_used(state, steady::now());
  return c;
}

// -- binance_simulator ---------------------------------------------------------------------------

binance_simulator::binance_simulator(binance_simulator_options options)
    : impl_(std::make_unique<impl>(std::move(options))) {}

binance_simulator::~binance_simulator() = default;

std::string binance_simulator::url(const std::string& target) const {
  return impl_->server->url(target);
}

std::uint16_t binance_simulator::port() const {
  return impl_->server->port();
}

const tls_files& binance_simulator::tls() const {
  return impl_->server->tls();
}

test_server& binance_simulator::server() {
  return *impl_->server;
}

void binance_simulator::publish_trade(const std::string& symbol, const std::string& price,
                                      const std::string& qty, bool buyer_is_maker) {
  std::lock_guard<std::mutex> lock{impl_->mutex};
  auto event =
      trade_event(impl_->book(symbol), symbol, price, qty, buyer_is_maker, impl_->server_ms());
  actions out;
  publish_to(impl_->state, symbol + "@trade", event, out);
  impl_->perform(out);
}

void binance_simulator::publish_depth(const std::string& symbol,
                                      const std::vector<price_level>& bids,
                                      const std::vector<price_level>& asks) {
  std::lock_guard<std::mutex> lock{impl_->mutex};
  auto event = apply_depth(impl_->book(symbol), symbol, bids, asks, impl_->server_ms());
  actions out;
  for (const char* stream : {"@depth", "@depth@100ms", "@depth@1000ms"})
    publish_to(impl_->state, symbol + stream, event, out);
  impl_->perform(out);
}

void binance_simulator::skip_depth(const std::string& symbol, const std::vector<price_level>& bids,
                                   const std::vector<price_level>& asks) {
  std::lock_guard<std::mutex> lock{impl_->mutex};
  apply_depth(impl_->book(symbol), symbol, bids, asks, impl_->server_ms());
}

void binance_simulator::overlap_next_depth(const std::string& symbol, std::uint64_t ids) {
  std::lock_guard<std::mutex> lock{impl_->mutex};
  impl_->book(symbol).overlap = ids;
}

std::int64_t binance_simulator::last_update_id(const std::string& symbol) const {
  std::lock_guard<std::mutex> lock{impl_->mutex};
  return impl_->book(symbol).last_update_id;
}

void binance_simulator::publish(const std::string& stream, const std::string& payload) {
  if (!is_valid_stream(stream))
    throw std::invalid_argument("binance_simulator: invalid stream name " + stream);
  std::lock_guard<std::mutex> lock{impl_->mutex};
  actions out;
  publish_to(impl_->state, stream, payload, out);
  impl_->perform(out);
}

void binance_simulator::announce_shutdown() {
  std::lock_guard<std::mutex> lock{impl_->mutex};
  actions out;
  for (const auto& [id, s] : impl_->state.sessions) {
    if (s.closing)
      continue;
    out.push_back(action{action::kind::send, id, shutdown_event(s, impl_->server_ms()), 0});
    ++impl_->state.counters.shutdown_notices;
  }
  impl_->perform(out);
  impl_->changed.notify_all();
}

binance_counters binance_simulator::counters() const {
  std::lock_guard<std::mutex> lock{impl_->mutex};
  return impl_->snapshot();
}

std::vector<std::string> binance_simulator::streams(session_id session) const {
  std::lock_guard<std::mutex> lock{impl_->mutex};
  auto it = impl_->state.sessions.find(session);
  return it == impl_->state.sessions.end() ? std::vector<std::string>{} : it->second.streams;
}

bool binance_simulator::combined(session_id session) const {
  std::lock_guard<std::mutex> lock{impl_->mutex};
  auto it = impl_->state.sessions.find(session);
  return it != impl_->state.sessions.end() && it->second.combined;
}

std::int64_t binance_simulator::server_time() const {
  return impl_->server_ms();
}

std::optional<session_id> binance_simulator::wait_for_sessions(std::size_t count,
                                                               milliseconds timeout) {
  return impl_->server->wait_for_sessions(count, timeout);
}

bool binance_simulator::wait_for_streams(session_id session, std::size_t count,
                                         milliseconds timeout) {
  std::unique_lock<std::mutex> lock{impl_->mutex};
  return impl_->changed.wait_for(lock, timeout, [&] {
    auto it = impl_->state.sessions.find(session);
    return it != impl_->state.sessions.end() && it->second.streams.size() >= count;
  });
}

bool binance_simulator::wait_for(const std::function<bool(const binance_counters&)>& ready,
                                 milliseconds timeout) {
  std::unique_lock<std::mutex> lock{impl_->mutex};
  return impl_->changed.wait_for(lock, timeout, [&] { return ready(impl_->snapshot()); });
}

} // namespace zenws::testing
