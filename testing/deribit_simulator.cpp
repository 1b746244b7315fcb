// The Deribit simulator: test_server's hooks and responder feed deribit_state under one mutex;
// a timer thread runs heartbeats, market steps and delayed replies. The venue's rules are in
// deribit_rpc.cpp and deribit_exchange.cpp.

#include <zenws/testing/detail/deribit_state.hpp>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "zenws/testing/binance_simulator.hpp" // binance_hmac_sha256_hex: the same HMAC

namespace zenws::testing {

namespace detail::deribit {

deribit_state::deribit_state(deribit_simulator_options o, steady_time start)
    : options(std::move(o)), started(start), random(options.seed) {
  if (options.clients.empty())
    throw std::invalid_argument("deribit_simulator: no client in options.clients");
  if (options.heartbeat_second.count() <= 0)
    throw std::invalid_argument("deribit_simulator: heartbeat_second must be positive");
  make_books(*this);
}

} // namespace detail::deribit

using namespace detail::deribit;

namespace {

using steady = std::chrono::steady_clock;
constexpr auto idle_sleep = std::chrono::hours{1};

clock_now clock() {
  const auto wall = std::chrono::system_clock::now().time_since_epoch();
  return {steady::now(), std::chrono::duration_cast<std::chrono::microseconds>(wall).count()};
}

} // namespace

struct deribit_simulator::impl {
  explicit impl(deribit_simulator_options options);
  ~impl();
  impl(const impl&) = delete;
  impl& operator=(const impl&) = delete;

  void on_open(const upgrade_request& request);
  void on_frame(const frame& f);
  void on_end(const session_end& end);
  /// Sends what is due of state.out and keeps the rest for the timer (mutex held).
  void perform(steady_time now);
  void send(const action& a);
  void run_timer();

  mutable std::mutex mutex;
  std::condition_variable changed; ///< counters or sessions changed: the waiters
  std::condition_variable wake;    ///< deadlines changed: the timer thread
  bool stopping = false;
  deribit_state state;
  std::multimap<steady_time, action> delayed; ///< equal times keep their order
  steady_time next_market{};
  std::unique_ptr<test_server> server;
  std::thread timer;
};

deribit_simulator::impl::impl(deribit_simulator_options options)
    : state(std::move(options), steady::now()),
      server(std::make_unique<test_server>(state.options.server)) {
  next_market = steady::now() + state.options.market_interval;
  server->set_responder([this](const frame& f) {
    on_frame(f);
    return std::vector<frame>{};
  });
  session_hooks hooks;
  hooks.on_open = [this](const upgrade_request& r) { on_open(r); };
  hooks.on_end = [this](const session_end& end) { on_end(end); };
  server->set_hooks(std::move(hooks));
  timer = std::thread{[this] { run_timer(); }};
}

deribit_simulator::impl::~impl() {
  {
    std::lock_guard<std::mutex> lock{mutex};
    stopping = true;
  }
  wake.notify_all();
  timer.join();
  server.reset(); // joins the io thread while the state its hooks use still exists
}

void deribit_simulator::impl::on_open(const upgrade_request& request) {
  std::lock_guard<std::mutex> lock{mutex};
  state.sessions[request.session];
  ++state.counters.sessions_opened;
  ++state.counters.open_sessions;
  changed.notify_all();
}

void deribit_simulator::impl::on_frame(const frame& f) {
  const auto now = clock();
  std::lock_guard<std::mutex> lock{mutex};
  const auto s = state.sessions.find(f.session);
  if (s == state.sessions.end())
    return;
  detail::deribit::on_frame(state, f.session, s->second, f, now);
  perform(now.steady);
  wake.notify_all(); // a heartbeat may have been set, a reply delayed
  changed.notify_all();
}

void deribit_simulator::impl::on_end(const session_end& end) {
  const auto now = clock();
  std::lock_guard<std::mutex> lock{mutex};
  end_session(state, end.session, now);
  perform(now.steady); // order notifications of cancel-on-disconnect
  changed.notify_all();
}

void deribit_simulator::impl::send(const action& a) {
  switch (a.what) {
  case action::kind::send:
    server->send(a.session, frame{0, false, a.data});
    break;
  case action::kind::close:
    server->close(a.session, a.code, a.data);
    break;
  case action::kind::reset:
    server->reset(a.session);
    break;
  }
}

void deribit_simulator::impl::perform(steady_time now) {
  // test_server's injections only queue work on its io thread, so they may run under our lock.
  for (auto& a : state.out) {
    // A session with replies waiting keeps its order: what follows them waits too.
    const bool behind = std::any_of(delayed.begin(), delayed.end(),
                                    [&](const auto& d) { return d.second.session == a.session; });
    if (a.due <= now && !behind)
      send(a);
    else
      delayed.emplace(std::max(a.due, now), std::move(a));
  }
  state.out.clear();
}

void deribit_simulator::impl::run_timer() {
  std::unique_lock<std::mutex> lock{mutex};
  while (!stopping) {
    const auto now = clock();
    auto next = now.steady + idle_sleep;
    while (!delayed.empty() && delayed.begin()->first <= now.steady) {
      send(delayed.begin()->second);
      delayed.erase(delayed.begin());
    }
    if (!delayed.empty())
      next = std::min(next, delayed.begin()->first);
    for (auto& [id, s] : state.sessions)
      next = std::min(next, heartbeat_tick(state, id, s, now.steady));
    if (state.options.market_interval.count() > 0) {
      if (now.steady >= next_market) {
        market_step(state, now);
        next_market = now.steady + state.options.market_interval;
      }
      next = std::min(next, next_market);
    }
    if (!state.out.empty()) {
      perform(now.steady);
      if (!delayed.empty())
        next = std::min(next, delayed.begin()->first);
    }
    changed.notify_all();
    wake.wait_until(lock, next);
  }
}

// -- deribit_simulator ---------------------------------------------------------------------------

deribit_simulator::deribit_simulator(deribit_simulator_options options)
    : impl_(std::make_unique<impl>(std::move(options))) {}

deribit_simulator::~deribit_simulator() = default;

std::string deribit_simulator::url(const std::string& target) const {
  return impl_->server->url(target);
}

std::uint16_t deribit_simulator::port() const {
  return impl_->server->port();
}

const tls_files& deribit_simulator::tls() const {
  return impl_->server->tls();
}

test_server& deribit_simulator::server() {
  return *impl_->server;
}

std::string deribit_simulator::client_id() const {
  return impl_->state.options.clients.begin()->first;
}

std::string deribit_simulator::client_secret() const {
  return impl_->state.options.clients.begin()->second;
}

void deribit_simulator::step_market() {
  const auto now = clock();
  std::lock_guard<std::mutex> lock{impl_->mutex};
  market_step(impl_->state, now);
  impl_->perform(now.steady);
  impl_->wake.notify_all();
  impl_->changed.notify_all();
}

void deribit_simulator::drop_next_book_change(const std::string& instrument) {
  std::lock_guard<std::mutex> lock{impl_->mutex};
  const auto it = impl_->state.books.find(instrument);
  if (it == impl_->state.books.end())
    throw std::invalid_argument("deribit_simulator: unknown instrument " + instrument);
  it->second.drop_next = true;
}

void deribit_simulator::fail_next(const std::string& method, int code, const std::string& message) {
  std::lock_guard<std::mutex> lock{impl_->mutex};
  impl_->state.injected[method].emplace_back(code, message);
}

std::int64_t deribit_simulator::change_id(const std::string& instrument) const {
  std::lock_guard<std::mutex> lock{impl_->mutex};
  const auto it = impl_->state.books.find(instrument);
  if (it == impl_->state.books.end())
    throw std::invalid_argument("deribit_simulator: unknown instrument " + instrument);
  return it->second.change_id;
}

deribit_counters deribit_simulator::counters() const {
  std::lock_guard<std::mutex> lock{impl_->mutex};
  return impl_->state.counters;
}

std::vector<deribit_order> deribit_simulator::orders(const std::string& client_id) const {
  std::lock_guard<std::mutex> lock{impl_->mutex};
  std::vector<deribit_order> open;
  std::vector<deribit_order> done;
  for (const auto& id : impl_->state.order_sequence) {
    const auto& o = impl_->state.orders.at(id).public_view;
    if (o.client_id == client_id)
      (o.order_state == "open" ? open : done).push_back(o);
  }
  open.insert(open.end(), done.begin(), done.end());
  return open;
}

std::vector<deribit_order> deribit_simulator::open_orders(const std::string& client_id) const {
  auto all = orders(client_id);
  all.erase(std::remove_if(all.begin(), all.end(),
                           [](const deribit_order& o) { return o.order_state != "open"; }),
            all.end());
  return all;
}

double deribit_simulator::position(const std::string& client_id,
                                   const std::string& instrument) const {
  std::lock_guard<std::mutex> lock{impl_->mutex};
  const auto a = impl_->state.accounts.find(client_id);
  if (a == impl_->state.accounts.end())
    return 0;
  const auto p = a->second.positions.find(instrument);
  return p == a->second.positions.end() ? 0 : p->second.size;
}

std::vector<session_id> deribit_simulator::sessions() const {
  std::lock_guard<std::mutex> lock{impl_->mutex};
  std::vector<session_id> out;
  for (const auto& [id, s] : impl_->state.sessions)
    out.push_back(id);
  return out;
}

std::vector<std::string> deribit_simulator::channels(session_id session) const {
  std::lock_guard<std::mutex> lock{impl_->mutex};
  const auto s = impl_->state.sessions.find(session);
  if (s == impl_->state.sessions.end())
    return {};
  return {s->second.channels.begin(), s->second.channels.end()};
}

std::optional<std::string> deribit_simulator::account(session_id session) const {
  std::lock_guard<std::mutex> lock{impl_->mutex};
  const auto s = impl_->state.sessions.find(session);
  return s == impl_->state.sessions.end() ? std::nullopt : s->second.account;
}

std::int64_t deribit_simulator::heartbeat_interval(session_id session) const {
  std::lock_guard<std::mutex> lock{impl_->mutex};
  const auto s = impl_->state.sessions.find(session);
  return s == impl_->state.sessions.end() ? 0 : s->second.heartbeat_interval;
}

bool deribit_simulator::cancel_on_disconnect(session_id session) const {
  std::lock_guard<std::mutex> lock{impl_->mutex};
  const auto s = impl_->state.sessions.find(session);
  if (s == impl_->state.sessions.end())
    return false;
  const auto& st = s->second;
  return st.cod || (st.account && impl_->state.accounts.at(*st.account).cod_account);
}

std::optional<session_id> deribit_simulator::wait_for_sessions(std::size_t count,
                                                               milliseconds timeout) {
  return impl_->server->wait_for_sessions(count, timeout);
}

bool deribit_simulator::wait_for(const std::function<bool(const deribit_counters&)>& ready,
                                 milliseconds timeout) {
  std::unique_lock<std::mutex> lock{impl_->mutex};
  return impl_->changed.wait_for(lock, timeout, [&] { return ready(impl_->state.counters); });
}

std::string deribit_signature(const std::string& secret, std::int64_t timestamp_ms,
                              const std::string& nonce, const std::string& data) {
  return binance_hmac_sha256_hex(secret, std::to_string(timestamp_ms) + "\n" + nonce + "\n" + data);
}

} // namespace zenws::testing
