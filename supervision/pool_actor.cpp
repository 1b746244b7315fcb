#include "zenws/supervision/pool_actor.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>
#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include "zenws/actors/connection_actor.hpp"
#include "zenws/actors/io_runtime.hpp"
#include "zenws/protocol/reconnect_policy.hpp"
#include "zenws/supervision/health_score.hpp"
#include "zenws/supervision/node_protocol.hpp"
#include "zenws/supervision/restart_intensity.hpp"

namespace zenws {

namespace {

using metrics_timer_atom = caf::atom_constant<caf::atom("t_metrics")>;
using redial_timer_atom = caf::atom_constant<caf::atom("t_redial")>;
using lease_timer_atom = caf::atom_constant<caf::atom("t_lease")>;

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
  std::optional<std::size_t> node; ///< the node it lives on (index into nodes); none = local
  std::uint64_t moves = 0;         ///< times its node was lost under it
};

/// A node of the pool's placement: the link to its agent and the backoff for dialing it.
struct node_link {
  node_endpoint endpoint;
  node_agent agent; ///< null while down or dialing
  std::string name; ///< the agent's name, from its node_info
  bool dialing = false;
  reconnect_policy redial;
  std::uint64_t losses = 0;
  failure last_error;

  node_link(node_endpoint where, const reconnect_config& backoff, std::uint64_t seed)
      : endpoint(std::move(where)), redial(backoff, seed) {}

  bool up() const { return static_cast<bool>(agent); }
  std::string address() const { return endpoint.host + ":" + std::to_string(endpoint.port); }
};

/// A call to a connection on another node: what to answer if that node is lost before the
/// reply (CAF never answers it then).
struct remote_call {
  std::uint32_t slot = 0;
  std::uint64_t generation = 0;
  std::function<void()> lost;
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
  std::vector<node_link> nodes;
  std::size_t first_dials = 0; ///< nodes not yet dialed once: slots wait to spread over all
  std::map<std::uint64_t, remote_call> remote_calls;
  std::uint64_t next_call = 1;

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

  bool placed_remotely() const { return !spec.placement.nodes.empty(); }

  /// How long to wait for a call that the connection itself ends within `expected`: forever for
  /// a local one (its answer always comes), `expected` plus the grace for a remote one.
  caf::duration wait_for(const slot& s, milliseconds expected) const {
    if (!s.node)
      return caf::infinite;
    return caf::duration{expected + spec.placement.grace};
  }

  /// Remembers a call to `s`'s connection and what to answer if its node is lost; 0 for a local
  /// connection (nothing to remember).
  std::uint64_t track(const slot& s, std::function<void()> lost) {
    if (!s.node)
      return 0;
    remote_calls.emplace(next_call, remote_call{s.id, s.generation, std::move(lost)});
    return next_call++;
  }

  /// True if the answer to `ticket` is still awaited, and it no longer is; false if the call
  /// already ended because its node was lost.
  bool settle(std::uint64_t ticket) { return ticket == 0 || remote_calls.erase(ticket) == 1; }

  /// The node under slot `id`, generation `generation`, was lost: its calls end now.
  void lose_calls(std::uint32_t id, std::uint64_t generation) {
    std::vector<std::function<void()>> lost;
    for (auto it = remote_calls.begin(); it != remote_calls.end();) {
      if (it->second.slot == id && it->second.generation == generation) {
        lost.push_back(std::move(it->second.lost));
        it = remote_calls.erase(it);
      } else {
        ++it;
      }
    }
    for (auto& answer : lost)
      answer();
  }

  /// The up node with the fewest of the pool's connections, or none.
  std::optional<std::size_t> least_loaded_node() const {
    std::optional<std::size_t> best;
    std::size_t best_load = 0;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      if (!nodes[i].up())
        continue;
      const auto load = connections_on(i);
      if (!best || load < best_load) {
        best = i;
        best_load = load;
      }
    }
    return best;
  }

  std::size_t connections_on(std::size_t node) const {
    return static_cast<std::size_t>(
        std::count_if(slots.begin(), slots.end(), [&](const slot& s) { return s.node == node; }));
  }
};

namespace {

using pool_impl =
    pool_actor::extend<caf::reacts_to<metrics_timer_atom>,
                       caf::reacts_to<redial_timer_atom, std::uint64_t, std::uint64_t>,
                       caf::reacts_to<lease_timer_atom>>;
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

/// The handler for the slot's next connection: a fresh one of its own when the spec has a
/// factory, else the pool's shared one.
caf::actor handler_for(self_pointer self, slot& s) {
  auto& st = self->state;
  if (!st.spec.handler_factory)
    return st.handler;
  end_handler(s);
  s.handler = st.spec.handler_factory(self->system(), s.id);
  return s.handler;
}

/// Members report telemetry as "<pool label>#<slot>".
std::string member_label(const pool_data& st, const slot& s) {
  const auto& label = st.spec.options.label;
  return (label.empty() ? std::string{"pool"} : label) + "#" + std::to_string(s.id);
}

/// Connects the slot's newly spawned connection, wherever it lives. The connection restores the
/// slot's channels itself before it reports connected (connection_options::restore_subscriptions).
void connect_slot(self_pointer self, slot& s) {
  auto& st = self->state;
  self->monitor(s.conn);
  auto wait = caf::duration{caf::infinite};
  if (auto worst = worst_case_connect_time(st.spec.connection))
    wait = st.wait_for(s, *worst);
  const auto id = s.id;
  const auto generation = s.generation;
  self->request(s.conn, wait, caf::connect_atom::value)
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

void start(self_pointer self, slot& s);

/// A node agent refused or did not answer a spawn: a spec it cannot build ends the pool (every
/// node would refuse it alike); anything else counts as a failed start, within the restart
/// intensity.
void placement_failed(self_pointer self, slot& s, const node_link& link, const caf::error& err) {
  auto f = to_failure(err);
  if (f.code == errc::invalid_config) {
    f.detail = "node " + link.address() + " cannot build connection " + std::to_string(s.id) +
               ": " + f.detail;
    self->quit(make_error(f));
    return;
  }
  if (!self->state.intensity.allow(now())) {
    self->quit(make_error(failure{errc::restart_intensity_exceeded,
                                  "placing connection " + std::to_string(s.id) + " on node " +
                                      link.address() + " failed: " + self->system().render(err)}));
    return;
  }
  start(self, s);
}

/// Asks the least loaded node's agent for the slot's connection. Without a node up (or before
/// every node was dialed once, so that the first connections spread) the slot waits: it is
/// placed when a node comes up.
void place(self_pointer self, slot& s) {
  auto& st = self->state;
  s.conn = nullptr;
  s.node = st.first_dials == 0 ? st.least_loaded_node() : std::nullopt;
  if (!s.node) {
    s.state = connection_state::reconnecting;
    return;
  }
  remote_connection_spec spec;
  spec.recipe = st.spec.placement.recipe;
  spec.connection = st.spec.connection;
  spec.handler = handler_for(self, s);
  spec.link_handler = static_cast<bool>(st.spec.handler_factory);
  spec.deliver_batches = st.spec.options.deliver_batches;
  spec.restore_subscriptions.assign(s.subscriptions.begin(), s.subscriptions.end());
  spec.label = member_label(st, s);
  spec.lease = st.spec.placement.lease;
  const auto id = s.id;
  const auto generation = s.generation;
  const auto node = *s.node;
  self->request(st.nodes[node].agent, caf::duration{st.spec.placement.dial_timeout},
                caf::spawn_atom::value, std::move(spec))
      .then(
          [=](connection_actor& conn) {
            auto* sp = self->state.current(id, generation);
            if (!sp) {
              self->send_exit(conn, caf::exit_reason::user_shutdown);
              return;
            }
            sp->conn = std::move(conn);
            connect_slot(self, *sp);
          },
          [=](caf::error& err) {
            if (auto* sp = self->state.current(id, generation))
              placement_failed(self, *sp, self->state.nodes[node], err);
          });
}

/// Starts the slot's next connection (generation + 1): spawned here, or placed on a node.
void start(self_pointer self, slot& s) {
  auto& st = self->state;
  ++s.generation;
  s.ready = false;
  s.state = connection_state::connecting;
  s.restoring = true;
  s.pending = 0;
  if (st.placed_remotely()) {
    place(self, s);
    return;
  }
  auto options = st.spec.options;
  options.restore_subscriptions.assign(s.subscriptions.begin(), s.subscriptions.end());
  if (options.telemetry)
    options.label = member_label(st, s);
  options.link_handler = options.link_handler || static_cast<bool>(st.spec.handler_factory);
  s.conn = spawn_connection(self->system(), *st.io, st.spec.connection, std::move(options),
                            handler_for(self, s));
  connect_slot(self, s);
}

/// Places the slots that wait for a node.
void place_waiting(self_pointer self) {
  for (auto& s : self->state.slots)
    if (!s.conn && !s.node)
      place(self, s);
}

// -- node links -----------------------------------------------------------------------------------

caf::io::middleman_actor middleman_of(self_pointer self) {
  auto& sys = self->system();
  if (self->state.spec.placement.tls)
    return sys.openssl_manager().actor_handle();
  return sys.middleman().actor_handle();
}

/// Plans the next dial of a node that is down, by its backoff.
void schedule_redial(self_pointer self, std::size_t index) {
  auto& link = self->state.nodes[index];
  auto plan = link.redial.on_failure(link.last_error, now());
  if (auto* retry = std::get_if<retry_plan>(&plan))
    self->delayed_send(self, retry->delay, redial_timer_atom::value, std::uint64_t{index},
                       retry->token);
}

/// Counts a node's first dial as answered; once every node's is, the waiting slots spread over
/// those that are up.
void first_dial_answered(self_pointer self, const node_link& link) {
  auto& st = self->state;
  if (link.losses != 0 || st.first_dials == 0)
    return;
  if (--st.first_dials == 0)
    place_waiting(self);
}

void dial_failed(self_pointer self, std::size_t index, std::string detail) {
  auto& link = self->state.nodes[index];
  link.dialing = false;
  link.last_error = failure{errc::node_unreachable, std::move(detail)};
  first_dial_answered(self, link);
  ++link.losses;
  schedule_redial(self, index);
}

void node_up(self_pointer self, std::size_t index, node_agent agent) {
  auto& link = self->state.nodes[index];
  link.dialing = false;
  link.agent = std::move(agent);
  link.redial.on_ready(now());
  self->monitor(link.agent);
  self->request(link.agent, caf::duration{self->state.spec.placement.dial_timeout},
                caf::get_atom::value, node_atom::value)
      .then([=](node_info& info) { self->state.nodes[index].name = std::move(info.name); },
            [](caf::error&) {});
  if (self->state.first_dials == 0)
    place_waiting(self);
  else
    first_dial_answered(self, link);
}

/// Dials a node agent through the middleman (or its TLS twin) and checks what it publishes.
void dial(self_pointer self, std::size_t index) {
  auto& link = self->state.nodes[index];
  link.dialing = true;
  const auto address = link.address();
  self->request(middleman_of(self), caf::duration{self->state.spec.placement.dial_timeout},
                caf::connect_atom::value, link.endpoint.host, link.endpoint.port)
      .then(
          [=](caf::node_id&, caf::strong_actor_ptr& published, std::set<std::string>& ifs) {
            auto& sys = self->system();
            if (!published)
              return dial_failed(self, index, "nothing is published at " + address);
            if (!sys.assignable(ifs, sys.message_types<node_agent>()))
              return dial_failed(self, index,
                                 address + " publishes an actor that is not a zenws node agent");
            node_up(self, index, caf::actor_cast<node_agent>(std::move(published)));
          },
          [=](caf::error& err) {
            dial_failed(self, index, "dialing " + address + ": " + self->system().render(err));
          });
}

/// Renews the leases of the connections the pool holds on each node that is up, and plans the
/// next renewal.
void renew_leases(self_pointer self) {
  auto& st = self->state;
  for (std::size_t i = 0; i < st.nodes.size(); ++i) {
    if (!st.nodes[i].up())
      continue;
    std::vector<connection_actor> held;
    for (const auto& s : st.slots)
      if (s.node == i && s.conn)
        held.push_back(s.conn);
    self->send(st.nodes[i].agent, lease_atom::value, std::move(held));
  }
  self->delayed_send(self, st.spec.placement.lease / 4, lease_timer_atom::value);
}

/// The link to a node is gone: dial it again with backoff. Its connections report their own
/// loss (CAF ends every proxy of a lost node); an agent that ended while its node stays up
/// leaves its connections running.
void node_lost(self_pointer self, std::size_t index, std::string detail) {
  auto& link = self->state.nodes[index];
  if (!link.up())
    return;
  self->demonitor(link.agent.address());
  link.agent = nullptr;
  link.last_error = failure{errc::node_unreachable, std::move(detail)};
  ++link.losses;
  schedule_redial(self, index);
}

std::optional<std::size_t> node_of_agent(const pool_data& st, const caf::actor_addr& addr) {
  for (std::size_t i = 0; i < st.nodes.size(); ++i)
    if (st.nodes[i].agent && st.nodes[i].agent.address() == addr)
      return i;
  return std::nullopt;
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

/// True if a remote connection ended because its node did: the link broke, or the node's agent
/// shut down and took its connections along.
bool node_went_away(const caf::error& reason) {
  if (reason == caf::exit_reason::remote_link_unreachable)
    return true;
  return reason.category() == error_category_atom &&
         to_failure(reason).code == errc::node_unreachable;
}

/// The node under the slot's connection was lost: its calls in flight end with outcome_unknown,
/// the node is marked down at once (before its agent's own down message, so that the move does
/// not pick it), and the slot starts on another node. Not a crash: the restart intensity is not
/// charged; the node's redial backoff paces the churn.
void move(self_pointer self, slot& s) {
  auto& st = self->state;
  const auto node = *s.node;
  node_lost(self, node,
            "lost node " + st.nodes[node].address() + " under connection " + std::to_string(s.id));
  st.lose_calls(s.id, s.generation);
  ++s.moves;
  emit(self, telemetry_kind::pool_restart, [&](telemetry_event& e) {
    e.count = s.id;
    e.error = st.nodes[node].last_error;
  });
  start(self, s);
}

/// A connection actor died: transient slots end with it; a fatal zenws error ends the pool with
/// that error; others are restarted, unless that exceeds the restart intensity, which ends the
/// pool.
void on_down(self_pointer self, caf::down_msg& msg) {
  auto& st = self->state;
  if (auto node = node_of_agent(st, msg.source)) {
    node_lost(self, *node,
              "lost node " + st.nodes[*node].address() + ": " + self->system().render(msg.reason));
    return;
  }
  auto* s = st.find(msg.source);
  if (!s)
    return; // a removed slot's connection
  end_handler(*s);
  if (s->node && node_went_away(msg.reason)) {
    move(self, *s);
    return;
  }
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

/// The answer to a call whose connection's node was lost before the reply.
caf::error lost_on_node(const slot& s, const char* what) {
  return make_error(failure{errc::outcome_unknown,
                            std::string{what} + " sent on connection " + std::to_string(s.id) +
                                ", whose node was lost before the answer; not re-sent"});
}

/// A request's own time limit: its timeout, or the connection's default for 0.
milliseconds request_limit(const pool_data& st, caf::timespan timeout) {
  if (timeout.count() <= 0)
    return st.spec.connection.timeouts.request;
  return std::chrono::ceil<milliseconds>(timeout);
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
  auto& st = self->state;
  const auto ticket = st.track(*s, [self, rp, lost = lost_on_node(*s, "request")] {
    self->state.requests.deliver(rp, lost);
  });
  self->request(s->conn, st.wait_for(*s, request_limit(st, timeout)), request_atom::value, method,
                params, timeout)
      .then(
          [=](rpc_response& r) mutable {
            if (!self->state.settle(ticket))
              return;
            if (auto* done = self->state.current(id, generation)) {
              --done->pending;
              done->errors.clear();
            }
            self->state.requests.deliver(rp, std::move(r));
          },
          [=](caf::error& err) mutable {
            if (!self->state.settle(ticket))
              return;
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
  auto& st = self->state;
  const auto ticket = st.track(
      *s, [self, rp, lost = lost_on_node(*s, "frame")] { self->state.sends.deliver(rp, lost); });
  self->request(s->conn, st.wait_for(*s, st.spec.connection.timeouts.request), send_atom::value, f)
      .then(
          [=]() mutable {
            if (self->state.settle(ticket))
              self->state.sends.deliver(rp, id);
          },
          [=](caf::error& err) mutable {
            if (!self->state.settle(ticket))
              return;
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
  const auto ticket = st.track(*s, [self, key, lost = lost_on_node(*s, "subscribe")] {
    self->state.subscribes.deliver(key, lost);
  });
  self->request(s->conn, st.wait_for(*s, st.spec.connection.timeouts.request),
                subscribe_atom::value, std::move(fresh))
      .then(
          [=](subscription_outcome& outcome) mutable {
            if (!self->state.settle(ticket))
              return;
            if (auto* sp = self->state.current(id, generation))
              sp->subscriptions.insert(outcome.accepted.begin(), outcome.accepted.end());
            outcome.accepted.insert(outcome.accepted.end(), held.accepted.begin(),
                                    held.accepted.end());
            self->state.subscribes.deliver(key, std::move(outcome));
          },
          [=](caf::error& err) {
            if (self->state.settle(ticket))
              self->state.subscribes.deliver(key, std::move(err));
          });
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
  for (auto& [id, list] : by_slot) {
    auto& s = *st.find(id);
    if (!s.conn) { // waiting for a node: no server to tell, as for a disconnected connection
      result->accepted.insert(result->accepted.end(), list.begin(), list.end());
      answer_when_done();
      continue;
    }
    auto fail = [result, answer_when_done, list = list](const caf::error& err) {
      result->rejected.insert(result->rejected.end(), list.begin(), list.end());
      result->error = to_failure(err);
      answer_when_done();
    };
    const auto ticket = st.track(s, [fail, lost = lost_on_node(s, "unsubscribe")] { fail(lost); });
    self->request(s.conn, st.wait_for(s, st.spec.connection.timeouts.request),
                  unsubscribe_atom::value, list)
        .then(
            [=](subscription_outcome& outcome) {
              if (!self->state.settle(ticket))
                return;
              for (auto& c : outcome.accepted)
                result->accepted.push_back(std::move(c));
              for (auto& c : outcome.rejected)
                result->rejected.push_back(std::move(c));
              answer_when_done();
            },
            [=](caf::error& err) {
              if (self->state.settle(ticket))
                fail(err);
            });
  }
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
    if (!s.conn)
      continue; // waiting for a node, or for a node's spawn
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
                                  s.errors.count(t), s.restarts, s.subscriptions.size(), s.conn,
                                  s.node ? st.nodes[*s.node].address() : std::string{}, s.moves});
  for (std::size_t i = 0; i < st.nodes.size(); ++i) {
    const auto& link = st.nodes[i];
    h.nodes.push_back(node_health{link.address(), link.name, link.up(), st.connections_on(i),
                                  link.losses, link.last_error});
  }
  return h;
}

// -- the behavior ---------------------------------------------------------------------------------

/// Why the spec's placement cannot work in this actor system, if it cannot.
std::optional<std::string> placement_problem(self_pointer self) {
  const auto& placement = self->state.spec.placement;
  auto& sys = self->system();
  if (placement.nodes.empty())
    return std::nullopt;
  if (!sys.has_middleman())
    return "placement.nodes needs CAF's middleman: cfg.load<caf::io::middleman>()";
  if (placement.tls && !sys.has_openssl_manager())
    return "placement.tls needs CAF's OpenSSL module: cfg.load<caf::openssl::manager>()";
  for (const auto& node : placement.nodes)
    if (node.host.empty() || node.port == 0)
      return "placement.nodes: '" + node.host + ":" + std::to_string(node.port) +
             "' is not a host and port";
  if (placement.dial_timeout.count() <= 0)
    return "placement.dial_timeout must be positive";
  if (placement.lease.count() != 0 && placement.lease < std::chrono::milliseconds{100})
    return "placement.lease must be 0 (no leases) or at least 100 ms, was " +
           std::to_string(placement.lease.count()) + " ms";
  return std::nullopt;
}

/// Dials every node of the placement.
void start_node_links(self_pointer self) {
  auto& st = self->state;
  std::uint64_t seed = 1;
  for (const auto& endpoint : st.spec.placement.nodes)
    st.nodes.emplace_back(endpoint, st.spec.placement.redial, seed++);
  st.first_dials = st.nodes.size();
  for (std::size_t i = 0; i < st.nodes.size(); ++i)
    dial(self, i);
}

pool_impl::behavior_type pool(self_pointer self, io_runtime* io, pool_spec spec,
                              caf::actor handler) {
  auto& init = self->state;
  init.io = io;
  init.intensity = restart_intensity{spec.pool.max_restarts, spec.pool.restart_period};
  init.spec = std::move(spec);
  init.handler = std::move(handler);
  self->set_down_handler([=](caf::down_msg& msg) { on_down(self, msg); });
  if (auto problem = placement_problem(self)) {
    self->quit(make_error(failure{errc::invalid_config, *problem})); // ends after this function
  } else {
    start_node_links(self);
    for (std::uint32_t i = 0; i < self->state.spec.pool.size; ++i)
      add_slot(self);
    if (self->state.placed_remotely() && self->state.spec.placement.lease.count() > 0)
      renew_leases(self); // nothing is placed yet: it plans the first renewal
    self->delayed_send(self, self->state.spec.pool.metrics_interval, metrics_timer_atom::value);
  }
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
        if (!conn) // not placed yet: nothing runs
          end_handler(*s);
        st.erase(s);
        if (!conn)
          return true;
        // Closed with a handshake, then ended.
        self->request(conn, std::chrono::seconds{5}, caf::close_atom::value, std::uint16_t{1000},
                      std::string{"removed from the pool"})
            .then([=](disconnect_info&) { self->send_exit(conn, caf::exit_reason::user_shutdown); },
                  [=](caf::error&) { self->send_exit(conn, caf::exit_reason::user_shutdown); });
        return true;
      },
      [=](metrics_timer_atom) { refresh_metrics(self); },
      [=](lease_timer_atom) { renew_leases(self); },
      [=](redial_timer_atom, std::uint64_t index, std::uint64_t token) {
        auto& link = self->state.nodes[index];
        if (link.redial.take(token) && !link.up() && !link.dialing)
          dial(self, index);
      },
  };
}

} // namespace

void register_pool_types(caf::actor_system_config& cfg) {
  register_node_types(cfg);
  cfg.add_message_type<node_health>("zenws.node_health");
  cfg.add_message_type<slot_health>("zenws.slot_health");
  cfg.add_message_type<pool_health>("zenws.pool_health");
}

pool_actor spawn_pool(caf::actor_system& sys, io_runtime& io, pool_spec spec, caf::actor handler) {
  return caf::actor_cast<pool_actor>(sys.spawn(pool, &io, std::move(spec), std::move(handler)));
}

} // namespace zenws
