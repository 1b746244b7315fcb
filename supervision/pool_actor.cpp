#include "zenws/supervision/pool_actor.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include "zenws/actors/connection_actor.hpp"
#include "zenws/actors/io_runtime.hpp"
#include "zenws/supervision/health_score.hpp"
#include "zenws/supervision/restart_intensity.hpp"

namespace zenws {

namespace {

using metrics_timer_atom = caf::atom_constant<caf::atom("t_metrics")>;

steady_time now() {
  return std::chrono::steady_clock::now();
}

/// One supervised connection and what the pool keeps for it across restarts.
struct slot {
  std::uint32_t id = 0;
  connection_actor conn;
  caf::actor handler;           ///< the slot's own handler (handler_factory), else null
  std::uint64_t generation = 0; ///< bumped per spawned actor: replies of an old one are ignored
  bool ready = false;           ///< connected and restored
  bool restoring = true;        ///< this generation has not yet answered its first connect
  std::uint64_t pending = 0;
  error_memory errors;
  std::uint64_t restarts = 0;
  std::set<std::string> subscriptions;
  std::chrono::microseconds p99{0};
  connection_state state = connection_state::idle; ///< from its metrics and the pool's own view
  std::vector<caf::typed_response_promise<std::uint32_t>> ready_promises;
};

/// Ends the slot's own handler, if it has one (a linked handler outlives a connection that
/// ended normally).
void end_handler(slot& s) {
  if (s.handler)
    caf::anon_send_exit(s.handler, caf::exit_reason::user_shutdown);
  s.handler = nullptr;
}

/// Response promises the pool still owes, so that they can all be answered when the pool ends:
/// CAF drops an unanswered promise silently when its actor dies. Each is answered once: it
/// leaves the book when answered.
template <class T>
class promise_book {
public:
  std::uint64_t add(caf::typed_response_promise<T> rp) {
    open_.emplace(next_, std::move(rp));
    return next_++;
  }
  template <class X>
  void deliver(std::uint64_t key, X&& x) {
    auto it = open_.find(key);
    if (it == open_.end())
      return;
    auto rp = std::move(it->second);
    open_.erase(it);
    rp.deliver(std::forward<X>(x));
  }
  void fail_all(const caf::error& why) {
    for (auto& [key, rp] : open_)
      if (rp.pending())
        rp.deliver(why);
    open_.clear();
  }

private:
  std::uint64_t next_ = 1;
  std::map<std::uint64_t, caf::typed_response_promise<T>> open_;
};

/// Error codes that prove a request never left this pool's chosen connection: safe to send
/// elsewhere.
bool never_sent(errc code) {
  return code == errc::not_connected || code == errc::closed || code == errc::write_queue_full ||
         code == errc::invalid_state || code == errc::actor_down || code == errc::rate_limited;
}

} // namespace

struct pool_data {
  static inline const char* name = "zenws.pool";

  io_runtime* io = nullptr;
  pool_spec spec;
  caf::actor handler;
  std::vector<slot> slots;
  restart_intensity intensity;
  std::uint64_t turn = 0;
  std::uint32_t next_slot_id = 1;
  std::uint64_t restarts = 0;
  promise_book<rpc_response> requests;
  promise_book<std::uint32_t> sends;
  promise_book<subscription_outcome> subscribes;

  pool_data() = default;
  pool_data(const pool_data&) = delete;
  pool_data& operator=(const pool_data&) = delete;

  /// The pool's connections end with it, however it ends, and every caller gets an answer.
  ~pool_data() {
    const auto gone = make_error(failure{errc::closed, "the pool terminated"});
    requests.fail_all(gone);
    sends.fail_all(gone);
    subscribes.fail_all(gone);
    for (auto& s : slots) {
      for (auto& rp : s.ready_promises)
        if (rp.pending())
          rp.deliver(gone);
      if (s.conn)
        caf::anon_send_exit(s.conn, caf::exit_reason::user_shutdown);
      end_handler(s);
    }
  }

  slot* find(std::uint32_t id) {
    auto it = std::find_if(slots.begin(), slots.end(), [&](const slot& s) { return s.id == id; });
    return it == slots.end() ? nullptr : &*it;
  }

  slot* find(const caf::actor_addr& addr) {
    auto it = std::find_if(slots.begin(), slots.end(),
                           [&](const slot& s) { return s.conn && s.conn.address() == addr; });
    return it == slots.end() ? nullptr : &*it;
  }

  /// Forgets a slot (its connection's down message then finds none).
  void erase(const slot* s) { slots.erase(slots.begin() + (s - slots.data())); }

  /// The slot `id` if it still runs connection generation `generation`.
  slot* current(std::uint32_t id, std::uint64_t generation) {
    auto* s = find(id);
    return s && s->generation == generation ? s : nullptr;
  }

  int score(const slot& s, steady_time t) const {
    return health_score({s.pending, s.p99, s.errors.count(t)});
  }
};

namespace {

using pool_impl = pool_actor::extend<caf::reacts_to<metrics_timer_atom>>;
using self_pointer = pool_impl::stateful_pointer<pool_data>;

// -- starting and restarting connections ----------------------------------------------------------

void mark_ready(self_pointer self, slot& s) {
  s.restoring = false;
  s.state = connection_state::connected;
  s.ready = true;
  for (auto& rp : s.ready_promises)
    rp.deliver(s.id);
  s.ready_promises.clear();
}

/// A connection that cannot be brought up, or that gave up reconnecting, counts as a crash:
/// it is replaced (within the restart intensity), or ends the pool when its error is fatal,
/// rather than left idle.
void fail_start(self_pointer self, slot& s, const caf::error& why) {
  self->send_exit(s.conn, why ? why : make_error(failure{errc::internal_error, "start failed"}));
}

/// The slot's channels as its connection reports them, after a restore that may have refused
/// some. Replies come in order, so a later pool subscribe still adds to what this sets.
void sync_subscriptions(self_pointer self, const slot& s) {
  const auto id = s.id;
  const auto generation = s.generation;
  self->request(s.conn, caf::infinite, caf::get_atom::value, subscribe_atom::value)
      .then(
          [=](std::vector<std::string>& channels) {
            if (auto* sp = self->state.current(id, generation))
              sp->subscriptions = {channels.begin(), channels.end()};
          },
          [](caf::error&) {});
}

/// Spawns the slot's connection (generation + 1), with a fresh handler of its own when the spec
/// has a factory, and connects it. The connection restores the slot's channels itself, before
/// it reports connected (connection_options::restore_subscriptions).
/// Reports a pool event to the spec's telemetry hook, if any.
template <class Fill>
void emit(self_pointer self, telemetry_kind kind, Fill&& fill) {
  const auto& options = self->state.spec.options;
  if (!options.telemetry)
    return;
  telemetry_event e;
  e.kind = kind;
  e.source = options.label.empty() ? std::string{"pool"} : options.label;
  fill(e);
  options.telemetry(e);
}

void start(self_pointer self, slot& s) {
  auto& st = self->state;
  ++s.generation;
  s.ready = false;
  s.state = connection_state::connecting;
  s.restoring = true;
  s.pending = 0;
  auto options = st.spec.options;
  options.restore_subscriptions.assign(s.subscriptions.begin(), s.subscriptions.end());
  if (options.telemetry) // members report as "<pool label>#<slot>"
    options.label =
        (options.label.empty() ? std::string{"pool"} : options.label) + "#" + std::to_string(s.id);
  auto handler = st.handler;
  if (st.spec.handler_factory) {
    end_handler(s);
    s.handler = st.spec.handler_factory(self->system(), s.id);
    handler = s.handler;
    options.link_handler = true;
  }
  s.conn = spawn_connection(self->system(), *st.io, st.spec.connection, std::move(options),
                            std::move(handler));
  self->monitor(s.conn);
  const auto id = s.id;
  const auto generation = s.generation;
  self->request(s.conn, caf::infinite, caf::connect_atom::value)
      .then(
          [=](upgrade_response&) {
            auto* sp = self->state.current(id, generation);
            if (!sp)
              return;
            mark_ready(self, *sp);
            if (!sp->subscriptions.empty())
              sync_subscriptions(self, *sp);
          },
          [=](caf::error& err) {
            if (auto* sp = self->state.current(id, generation))
              fail_start(self, *sp, err);
          });
}

void add_slot(self_pointer self) {
  auto& st = self->state;
  slot s;
  s.id = st.next_slot_id++;
  s.errors = error_memory{st.spec.pool.error_decay};
  st.slots.push_back(std::move(s));
  start(self, st.slots.back());
}

/// The zenws failure in `reason` if a replacement from the same spec would meet it again:
/// fatal errors outside the internal category (refused credentials, a refused upgrade, an
/// untrusted certificate) and an invalid config or URL. A kill, an exception and other internal
/// errors (a bug, a wrong state) are worth a restart.
std::optional<failure> fatal_failure(const caf::error& reason) {
  if (reason.category() != error_category_atom)
    return std::nullopt;
  auto f = to_failure(reason);
  const bool spec_error = f.code == errc::invalid_config || f.code == errc::invalid_url;
  if (!is_fatal(f.code) || (category_of(f.code) == category::internal && !spec_error))
    return std::nullopt;
  return f;
}

/// A connection actor died: transient slots end with it; a fatal zenws error ends the pool with
/// that error; others are restarted, unless that exceeds the restart intensity, which ends the
/// pool.
void on_down(self_pointer self, caf::down_msg& msg) {
  auto& st = self->state;
  auto* s = st.find(msg.source);
  if (!s)
    return; // a removed slot's connection
  end_handler(*s);
  if (msg.reason == caf::exit_reason::normal || msg.reason == caf::exit_reason::user_shutdown) {
    st.erase(s);
    return;
  }
  if (auto fatal = fatal_failure(msg.reason)) {
    fatal->detail = "connection " + std::to_string(s->id) +
                    " failed for good; its replacement would fail the same way: " + fatal->detail;
    self->quit(make_error(*fatal));
    return;
  }
  if (!st.intensity.allow(now())) {
    auto detail = std::to_string(st.intensity.max_restarts()) + " restarts allowed in " +
                  std::to_string(st.intensity.period().count()) +
                  "ms; the last connection died: " + self->system().render(msg.reason);
    self->quit(make_error(failure{errc::restart_intensity_exceeded, std::move(detail)}));
    return;
  }
  ++s->restarts;
  ++st.restarts;
  emit(self, telemetry_kind::pool_restart, [&](telemetry_event& e) {
    e.count = s->id;
    e.error = to_failure(msg.reason);
  });
  start(self, *s);
}

// -- routing --------------------------------------------------------------------------------------

/// The healthiest ready slot not in `tried`, or nullptr.
slot* pick(self_pointer self, const std::vector<std::uint32_t>& tried) {
  auto& st = self->state;
  const auto t = now();
  std::vector<std::optional<int>> scores;
  std::vector<std::uint64_t> pending;
  scores.reserve(st.slots.size());
  pending.reserve(st.slots.size());
  for (const auto& s : st.slots) {
    const bool eligible = s.ready && std::find(tried.begin(), tried.end(), s.id) == tried.end();
    scores.push_back(eligible ? std::optional<int>{st.score(s, t)} : std::nullopt);
    pending.push_back(s.pending);
  }
  const auto chosen = pick_healthiest(scores, pending, st.turn);
  return chosen ? &st.slots[*chosen] : nullptr;
}

/// What a failed attempt means for the caller, and for routing: retry elsewhere or answer.
struct attempt_outcome {
  bool retry;
  caf::error answer;
};

attempt_outcome judge(self_pointer self, std::uint32_t id, std::uint64_t generation,
                      const caf::error& err) {
  const auto f = to_failure(err);
  if (auto* s = self->state.current(id, generation)) {
    s->errors.record(now());
    if (f.code == errc::not_connected || f.code == errc::closed)
      s->ready = false; // dropped meanwhile; the metrics timer sees it come back
  }
  if (never_sent(f.code))
    return {true, err};
  if (f.code == errc::disconnected)
    return {false, make_error(failure{errc::outcome_unknown,
                                      "sent on connection " + std::to_string(id) +
                                          ", which dropped before the response; not re-sent"})};
  return {false, err};
}

/// The slot for the next attempt of a balanced request, or nullptr when max_attempts are used
/// up or no untried slot is ready.
slot* next_attempt(self_pointer self, const std::vector<std::uint32_t>& tried) {
  return tried.size() < self->state.spec.pool.max_attempts ? pick(self, tried) : nullptr;
}

/// The answer when no attempt is left: the last attempt's error, or no_connections.
caf::error exhausted(const pool_data& st, caf::error last) {
  if (last)
    return last;
  return make_error(
      failure{errc::no_connections, std::to_string(st.slots.size()) + " connections, none ready"});
}

void route_request(self_pointer self, std::uint64_t rp, std::string method, std::string params,
                   caf::timespan timeout, std::vector<std::uint32_t> tried, caf::error last) {
  auto* s = next_attempt(self, tried);
  if (!s) {
    self->state.requests.deliver(rp, exhausted(self->state, std::move(last)));
    return;
  }
  const auto id = s->id;
  const auto generation = s->generation;
  emit(self, last ? telemetry_kind::pool_failover : telemetry_kind::pool_routed,
       [&](telemetry_event& e) {
         e.count = id;
         if (last)
           e.error = to_failure(last);
       });
  tried.push_back(id);
  ++s->pending;
  self->request(s->conn, caf::infinite, request_atom::value, method, params, timeout)
      .then(
          [=](rpc_response& r) mutable {
            if (auto* done = self->state.current(id, generation)) {
              --done->pending;
              done->errors.clear();
            }
            self->state.requests.deliver(rp, std::move(r));
          },
          [=](caf::error& err) mutable {
            if (auto* done = self->state.current(id, generation))
              --done->pending;
            auto outcome = judge(self, id, generation, err);
            if (!outcome.retry) {
              self->state.requests.deliver(rp, std::move(outcome.answer));
              return;
            }
            route_request(self, rp, std::move(method), std::move(params), timeout, std::move(tried),
                          std::move(outcome.answer));
          });
}

void route_send(self_pointer self, std::uint64_t rp, text_frame f, std::vector<std::uint32_t> tried,
                caf::error last) {
  auto* s = next_attempt(self, tried);
  if (!s) {
    self->state.sends.deliver(rp, exhausted(self->state, std::move(last)));
    return;
  }
  const auto id = s->id;
  const auto generation = s->generation;
  tried.push_back(id);
  self->request(s->conn, caf::infinite, send_atom::value, f)
      .then([=]() mutable { self->state.sends.deliver(rp, id); },
            [=](caf::error& err) mutable {
              auto outcome = judge(self, id, generation, err);
              if (!outcome.retry) {
                self->state.sends.deliver(rp, std::move(outcome.answer));
                return;
              }
              route_send(self, rp, std::move(f), std::move(tried), std::move(outcome.answer));
            });
}

// -- subscriptions --------------------------------------------------------------------------------

/// The slot holding `channel`, or nullptr.
slot* holder_of(pool_data& st, const std::string& channel) {
  for (auto& s : st.slots)
    if (s.subscriptions.count(channel) != 0)
      return &s;
  return nullptr;
}

/// Subscribes the channels no slot holds yet on the healthiest ready connection; the slot keeps
/// the accepted ones for its replacements. Channels a slot already holds count as accepted
/// without a second subscription (which would deliver their data twice).
void subscribe(self_pointer self, std::uint64_t key, std::vector<std::string> channels) {
  auto& st = self->state;
  subscription_outcome held;
  std::vector<std::string> fresh;
  for (auto& channel : channels)
    (holder_of(st, channel) ? held.accepted : fresh).push_back(std::move(channel));
  if (fresh.empty())
    return st.subscribes.deliver(key, std::move(held));
  auto* s = pick(self, {});
  if (!s)
    return st.subscribes.deliver(
        key, make_error(failure{errc::no_connections, "no connection ready to subscribe"}));
  const auto id = s->id;
  const auto generation = s->generation;
  self->request(s->conn, caf::infinite, subscribe_atom::value, std::move(fresh))
      .then(
          [=](subscription_outcome& outcome) mutable {
            if (auto* sp = self->state.current(id, generation))
              sp->subscriptions.insert(outcome.accepted.begin(), outcome.accepted.end());
            outcome.accepted.insert(outcome.accepted.end(), held.accepted.begin(),
                                    held.accepted.end());
            self->state.subscribes.deliver(key, std::move(outcome));
          },
          [=](caf::error& err) { self->state.subscribes.deliver(key, std::move(err)); });
}

/// Unsubscribes each channel on the slot that holds it; it leaves that slot's set at once, so
/// a replacement never restores it. Channels no slot holds are rejected. One reply once every
/// slot involved has answered.
void unsubscribe(self_pointer self, std::uint64_t key, std::vector<std::string> channels) {
  auto& st = self->state;
  auto result = std::make_shared<subscription_outcome>();
  result->op = subscription_op::unsubscribe;
  std::map<std::uint32_t, std::vector<std::string>> by_slot;
  for (auto& channel : channels) {
    if (auto* s = holder_of(st, channel)) {
      s->subscriptions.erase(channel);
      by_slot[s->id].push_back(std::move(channel));
    } else {
      result->rejected.push_back(std::move(channel));
    }
  }
  auto waiting = std::make_shared<std::size_t>(by_slot.size());
  auto answer_when_done = [=] {
    if (--*waiting == 0)
      self->state.subscribes.deliver(key, std::move(*result));
  };
  if (by_slot.empty())
    return st.subscribes.deliver(key, std::move(*result));
  for (auto& [id, list] : by_slot)
    self->request(st.find(id)->conn, caf::infinite, unsubscribe_atom::value, list)
        .then(
            [=](subscription_outcome& outcome) {
              for (auto& c : outcome.accepted)
                result->accepted.push_back(std::move(c));
              for (auto& c : outcome.rejected)
                result->rejected.push_back(std::move(c));
              answer_when_done();
            },
            [=, list = list](caf::error& err) {
              result->rejected.insert(result->rejected.end(), list.begin(), list.end());
              result->error = to_failure(err);
              answer_when_done();
            });
}

// -- observing ------------------------------------------------------------------------------------

/// Why a member that gave up is replaced: its last error, or a plain note when it had none.
failure gave_up(failure last) {
  if (!last)
    return {errc::not_connected, "the connection gave up without recording why"};
  return last;
}

void refresh_metrics(self_pointer self) {
  for (auto& s : self->state.slots) {
    const auto id = s.id;
    const auto generation = s.generation;
    self->request(s.conn, std::chrono::seconds{1}, caf::get_atom::value, metrics_atom::value)
        .then(
            [=](connection_metrics& m) {
              auto* sp = self->state.current(id, generation);
              if (!sp)
                return;
              sp->p99 = m.latency.p99;
              sp->state = m.state;
              if (sp->restoring)
                return;
              sp->ready = m.state == connection_state::connected;
              if (m.state == connection_state::disconnected) // it gave up: a failed member
                fail_start(self, *sp, make_error(gave_up(m.last_error)));
            },
            [](caf::error&) {});
  }
  self->delayed_send(self, self->state.spec.pool.metrics_interval, metrics_timer_atom::value);
}

pool_health health_of(pool_data& st) {
  pool_health h;
  const auto t = now();
  h.restarts = st.restarts;
  h.recent_restarts = st.intensity.recent(t);
  for (const auto& s : st.slots)
    h.slots.push_back(slot_health{s.id, s.ready, s.state, s.p99, st.score(s, t), s.pending,
                                  s.errors.count(t), s.restarts, s.subscriptions.size(), s.conn});
  return h;
}

// -- the behavior ---------------------------------------------------------------------------------

pool_impl::behavior_type pool(self_pointer self, io_runtime* io, pool_spec spec,
                              caf::actor handler) {
  auto& init = self->state;
  init.io = io;
  init.intensity = restart_intensity{spec.pool.max_restarts, spec.pool.restart_period};
  init.spec = std::move(spec);
  init.handler = std::move(handler);
  self->set_down_handler([=](caf::down_msg& msg) { on_down(self, msg); });
  for (std::uint32_t i = 0; i < self->state.spec.pool.size; ++i)
    add_slot(self);
  self->delayed_send(self, self->state.spec.pool.metrics_interval, metrics_timer_atom::value);
  return {
      [=](request_balanced_atom, std::string& method, std::string& params, caf::timespan timeout) {
        auto rp = self->make_response_promise<rpc_response>();
        route_request(self, self->state.requests.add(rp), std::move(method), std::move(params),
                      timeout, {}, {});
        return rp;
      },
      [=](send_balanced_atom, text_frame& f) {
        auto rp = self->make_response_promise<std::uint32_t>();
        route_send(self, self->state.sends.add(rp), std::move(f), {}, {});
        return rp;
      },
      [=](subscribe_atom, std::vector<std::string>& channels) -> caf::result<subscription_outcome> {
        auto rp = self->make_response_promise<subscription_outcome>();
        subscribe(self, self->state.subscribes.add(rp), std::move(channels));
        return rp;
      },
      [=](unsubscribe_atom, std::vector<std::string>& channels) {
        auto rp = self->make_response_promise<subscription_outcome>();
        unsubscribe(self, self->state.subscribes.add(rp), std::move(channels));
        return rp;
      },
      [=](caf::get_atom, health_atom) { return health_of(self->state); },
      [=](add_slot_atom) {
        add_slot(self);
        auto& s = self->state.slots.back();
        return s.ready_promises.emplace_back(self->make_response_promise<std::uint32_t>());
      },
      [=](remove_slot_atom, std::uint32_t id) {
        auto& st = self->state;
        auto* s = st.find(id);
        if (!s)
          return false;
        auto conn = s->conn;
        st.erase(s);
        // Closed with a handshake, then ended.
        self->request(conn, std::chrono::seconds{5}, caf::close_atom::value, std::uint16_t{1000},
                      std::string{"removed from the pool"})
            .then([=](disconnect_info&) { self->send_exit(conn, caf::exit_reason::user_shutdown); },
                  [=](caf::error&) { self->send_exit(conn, caf::exit_reason::user_shutdown); });
        return true;
      },
      [=](metrics_timer_atom) { refresh_metrics(self); },
  };
}

} // namespace

void register_pool_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<slot_health>("zenws.slot_health");
  cfg.add_message_type<pool_health>("zenws.pool_health");
}

pool_actor spawn_pool(caf::actor_system& sys, io_runtime& io, pool_spec spec, caf::actor handler) {
  return caf::actor_cast<pool_actor>(sys.spawn(pool, &io, std::move(spec), std::move(handler)));
}

} // namespace zenws
