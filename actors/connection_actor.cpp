#include "zenws/actors/connection_actor.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string_view>
#include <utility>
#include <vector>

#include <caf/response_promise.hpp>
#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include "zenws/actors/detail/io_execution_unit.hpp"
#include "zenws/actors/io_runtime.hpp"
#include "zenws/actors/recorder.hpp"
#include "zenws/protocol/close_code.hpp"
#include "zenws/protocol/fifo.hpp"
#include "zenws/protocol/heartbeat.hpp"
#include "zenws/protocol/json_rpc.hpp"
#include "zenws/protocol/latency_stats.hpp"
#include "zenws/protocol/pending_requests.hpp"
#include "zenws/protocol/rate_limiter.hpp"
#include "zenws/protocol/reconnect_policy.hpp"
#include "zenws/protocol/recording.hpp"
#include "zenws/protocol/subscriptions.hpp"
#include "zenws/protocol/substring.hpp"
#include "zenws/protocol/utf8.hpp"

namespace zenws {

namespace {

/// The transport's events sink: turns each event into a message in the connection's mailbox.
/// It holds only a weak handle, so the transport never keeps a dead actor alive.
class mailbox_events final : public transport_events {
public:
  mailbox_events(caf::weak_actor_ptr owner, std::uint64_t attempt, heartbeat_policy policy)
      : owner_(std::move(owner)), attempt_(attempt), policy_(policy) {}

  void on_open(upgrade_response response) override {
    notify(ws_open_atom::value, attempt_, std::move(response));
  }
  void on_messages(message_batch batch) override {
    // Heartbeats overtake market data waiting in the mailbox: the server closes the
    // connection if the answer comes late.
    if (policy_ != heartbeat_policy::none && has_heartbeat(batch)) {
      message_batch urgent;
      message_batch rest;
      for (const auto m : batch.messages())
        (is_heartbeat(m) ? urgent : rest).add(m.kind, m.payload);
      notify<caf::message_priority::high>(ws_message_atom::value, attempt_, std::move(urgent));
      if (!rest.empty())
        notify(ws_message_atom::value, attempt_, std::move(rest));
      return;
    }
    notify(ws_message_atom::value, attempt_, std::move(batch));
  }
  void on_ping(std::string payload) override {
    notify<caf::message_priority::high>(ws_ping_atom::value, attempt_, std::move(payload));
  }
  void on_pong(std::string payload) override {
    notify(ws_pong_atom::value, attempt_, std::move(payload));
  }
  void on_closed(disconnect_info info) override {
    notify(ws_closed_atom::value, attempt_, std::move(info));
  }

private:
  bool is_heartbeat(const message_batch::message& m) const {
    return m.kind == frame_kind::text && may_be_heartbeat(policy_, m.payload);
  }
  bool has_heartbeat(const message_batch& batch) const {
    for (const auto m : batch.messages())
      if (is_heartbeat(m))
        return true;
    return false;
  }

  template <caf::message_priority P = caf::message_priority::normal, class... Ts>
  void notify(Ts&&... xs) {
    // On an io thread, the actor runs right here after this handler (io_execution_unit.hpp).
    if (auto owner = caf::actor_cast<caf::strong_actor_ptr>(owner_))
      owner->get()->eq_impl(caf::make_message_id(P), nullptr,
                            detail::io_thread_unit(*owner->home_system), std::forward<Ts>(xs)...);
  }

  caf::weak_actor_ptr owner_;
  std::uint64_t attempt_;
  heartbeat_policy policy_;
};

steady_time now() {
  return std::chrono::steady_clock::now();
}

/// Who waits for a JSON-RPC response, and what to do with it.
struct waiter {
  enum class purpose : std::uint8_t {
    user,      ///< request(): reply through `rpc`
    subscribe, ///< subscribe() / unsubscribe(): reply through `sub`
    restore,   ///< the bootstrap's subscription restore
    bootstrap, ///< a bootstrap call; on error the attempt fails with `bootstrap_error`
    heartbeat, ///< public/test answers and heartbeat setup; the reply is swallowed
  };
  purpose what = purpose::user;
  caf::typed_response_promise<rpc_response> rpc;
  caf::typed_response_promise<subscription_outcome> sub;
  errc bootstrap_error = errc::server_error;
};

/// One step of the bootstrap: a request, and the error its failure means. A restore step
/// carries its share of the channels instead of a method.
struct bootstrap_step {
  std::string method;
  std::string params;
  errc on_error;
  waiter::purpose what;
  std::vector<std::string> channels;
};

/// A frame on its way out: a JSON-RPC request (with its id and waiter) or a plain send. Frames
/// wait in this form while the rate limiter has no tokens for them.
struct held_frame {
  frame_kind kind = frame_kind::text;
  std::string data;
  std::optional<json_rpc::request_id> id; ///< requests only
  waiter w;
  milliseconds timeout{0}; ///< requests: the response timeout, which runs while the frame waits
  charges cost;
  std::optional<subscription_op> op; ///< subscribes: told to the tracker once sent
  std::vector<std::string> channels;
  steady_time since{};  ///< when it started waiting for tokens
  std::string method;   ///< requests, for telemetry and for rebuild (else left empty)
  std::string params;   ///< requests to rebuild: their params
  bool rebuild = false; ///< rebuild the frame when released (its dialect is time-sensitive)
};

} // namespace

// -- state ----------------------------------------------------------------------------------------

struct connection_data {
  static inline const char* name = "zenws.connection";

  io_runtime* io = nullptr;
  std::shared_ptr<const connection_config> config; // shared with each attempt's transport
  connection_options options;
  std::unique_ptr<wire_dialect> wire; // this connection's own copy of options.dialect
  connection_handler handler; // may be a dynamically typed actor cast to the event interface
  message_batch outgoing;     // messages for the handler, sent once per batch read

  connection_state state = connection_state::idle;
  std::shared_ptr<transport> link; // the current attempt's transport, if any
  std::uint64_t attempt = 0;
  upgrade_response last_upgrade;
  disconnect_info last_disconnect;
  connection_metrics counters;

  reconnect_policy policy{reconnect_config{}, 0};
  heartbeat_monitor heartbeat{heartbeat_config{}, 1};
  std::uint64_t heartbeat_timer = 0; // token of the running heartbeat timer; 0 = none
  pending_requests<waiter> requests;
  std::uint64_t request_timer = 0;        // token of the armed request timer; 0 = none
  steady_time request_timer_at{};         // the deadline it is armed for
  std::uint64_t request_timer_tokens = 0; // tokens handed out so far
  subscription_tracker subscriptions;
  latency_stats latency{1};
  fifo<bootstrap_step> bootstrap; // steps left before ready
  failure bootstrap_failure;      // why this attempt is being closed, if bootstrap failed
  // The venue refused a request for its rate limit on this socket (Deribit's 10028 then closes
  // the session): if the socket then ends, that is why, and the reconnect backs off longest.
  failure venue_limited;
  std::optional<rate_limiter> limiter; // when options.rate_limit.limits has buckets
  failure limiter_error;               // an invalid rate-limit config: connect refuses with it
  std::map<rate_limiter::ticket, held_frame> held; // frames waiting for tokens
  std::uint64_t release_timer = 0;                 // token of the armed release timer
  pressure last_pressure = pressure::none;
  steady_time ready_at{};  // when the current connection became ready
  std::string source;      // telemetry events' source
  recorder_actor recorder; // when config.record_to is set
  failure record_error;    // record_to could not be opened: connect refuses with it

  std::vector<caf::typed_response_promise<upgrade_response>> connect_promises;
  std::vector<caf::typed_response_promise<disconnect_info>> close_promises;

  connection_data() = default;
  connection_data(const connection_data&) = delete;
  connection_data& operator=(const connection_data&) = delete;

  /// Runs when the actor terminates, however it terminates: CAF leaves undelivered promises
  /// hanging, so every waiter is answered here.
  ~connection_data() {
    if (link)
      link->abort();
    if (recorder) // it writes what it holds as it ends
      caf::anon_send_exit(recorder, caf::exit_reason::user_shutdown);
    const auto gone = make_error(failure{errc::closed, "the connection actor terminated"});
    for (auto& rp : connect_promises)
      if (rp.pending())
        rp.deliver(gone);
    for (auto& rp : close_promises)
      if (rp.pending())
        rp.deliver(gone);
    // These requests were sent: whether the server acted on them is unknown, as on any drop.
    const auto dropped =
        make_error(failure{errc::disconnected, "the connection actor terminated", 0, 0});
    for (auto& [id, entry] : requests.take_all()) {
      if (entry.waiter.rpc.pending())
        entry.waiter.rpc.deliver(dropped);
      if (entry.waiter.sub.pending())
        entry.waiter.sub.deliver(dropped);
    }
    // These never left: they were waiting for rate-limit tokens.
    const auto unsent = make_error(failure{errc::closed, "the connection actor terminated", 0, 0});
    for (auto& [ticket, frame] : held) {
      if (frame.w.rpc.pending())
        frame.w.rpc.deliver(unsent);
      if (frame.w.sub.pending())
        frame.w.sub.deliver(unsent);
    }
  }
};

namespace {

using self_pointer = connection_impl::stateful_pointer<connection_data>;

bool is_current(self_pointer self, std::uint64_t attempt) {
  return self->state.link && attempt == self->state.attempt;
}

/// Sends the handler the messages collected for it (connection_options::deliver_batches).
void flush_deliveries(self_pointer self) {
  auto& st = self->state;
  if (st.outgoing.empty())
    return;
  // Not in connection_handler's interface (a handler that asks for batches handles them), so
  // enqueued directly, with the connection as the sender as for every event.
  caf::actor_cast<caf::actor>(st.handler)
      ->eq_impl(caf::make_message_id(), self->ctrl(), self->context(), std::move(st.outgoing));
  st.outgoing = message_batch{};
}

template <class... Ts>
void notify(self_pointer self, Ts&&... xs) {
  if (!self->state.handler)
    return;
  flush_deliveries(self); // the handler sees events in the order they happened
  self->send(self->state.handler, std::forward<Ts>(xs)...);
}

/// Reports a telemetry event when the user installed a hook; `fill` sets the kind's members.
template <class Fill>
void emit(self_pointer self, telemetry_kind kind, Fill&& fill) {
  auto& st = self->state;
  if (!st.options.telemetry)
    return;
  telemetry_event e;
  e.kind = kind;
  e.source = st.source;
  fill(e);
  st.options.telemetry(e);
}

void emit(self_pointer self, telemetry_kind kind) {
  emit(self, kind, [](telemetry_event&) {});
}

void emit_failure(self_pointer self, telemetry_kind kind, const failure& why) {
  emit(self, kind, [&](telemetry_event& e) { e.error = why; });
}

// -- attempts -------------------------------------------------------------------------------------

/// Starts a new attempt: a fresh transport whose events carry the new attempt number.
void start_attempt(self_pointer self) {
  auto& st = self->state;
  ++st.attempt;
  st.wire->reset();
  st.bootstrap.clear();
  st.bootstrap_failure = {};
  auto events = std::make_shared<mailbox_events>(caf::actor_cast<caf::weak_actor_ptr>(self),
                                                 st.attempt, st.config->heartbeat.policy);
  st.link = transport::create(*st.io, st.config, *parse_url(st.config->url).url, std::move(events));
  st.state = connection_state::connecting;
  emit(self, telemetry_kind::connect_attempt, [&](telemetry_event& e) { e.count = st.attempt; });
  st.link->start();
}

/// Checks the URL and the config; a failure to reply with, or none.
failure config_refusal(const connection_config& config) {
  if (auto parsed = parse_url(config.url); !parsed.url)
    return {errc::invalid_url, parsed.error};
  if (auto problems = validate(config); !problems.empty())
    return {errc::invalid_config, describe(problems)};
  return {};
}

/// Why the transport refused to queue a frame (`code` is not none).
failure queue_refusal(errc code, const connection_config& config) {
  return {code,
          code == errc::write_queue_full
              ? std::to_string(config.max_write_queue) + " frames already wait to be written"
              : "the connection is closing",
          0, 0};
}

/// Checks config and state before a connect; a failure to reply with, or none.
failure connect_refusal(const connection_data& st) {
  switch (st.state) {
  case connection_state::connecting:
  case connection_state::connected:
  case connection_state::closing:
  case connection_state::reconnecting:
    return {errc::invalid_state,
            std::string("connect while the connection is ") + to_string(st.state)};
  case connection_state::closed:
    return {errc::closed, "connect after close"};
  default:
    break;
  }
  if (st.limiter_error)
    return st.limiter_error;
  if (st.record_error)
    return st.record_error;
  return config_refusal(*st.config);
}

void answer_connects(self_pointer self, const failure& why) {
  auto& st = self->state;
  for (auto& rp : st.connect_promises)
    if (rp.pending())
      rp.deliver(make_error(why));
  st.connect_promises.clear();
}

// -- requests -------------------------------------------------------------------------------------

/// Ends a waiting request with `why` (timeout, disconnect, server error).
void fail_waiter(self_pointer self, json_rpc::request_id id, waiter& w, const failure& why) {
  auto& st = self->state;
  switch (w.what) {
  case waiter::purpose::user:
    emit_failure(self,
                 why.code == errc::request_timeout ? telemetry_kind::request_timed_out
                                                   : telemetry_kind::request_failed,
                 why);
    w.rpc.deliver(make_error(why));
    break;
  case waiter::purpose::subscribe:
    st.subscriptions.on_failed(id, why);
    w.sub.deliver(make_error(why));
    break;
  case waiter::purpose::restore:
    st.subscriptions.on_failed(id, why);
    break;
  case waiter::purpose::bootstrap:
  case waiter::purpose::heartbeat:
    break;
  }
}

/// Every waiting request ends with `disconnected`: the socket is gone.
void fail_all_requests(self_pointer self, const std::string& detail) {
  const failure why{errc::disconnected, detail, 0, 0};
  for (auto& [id, entry] : self->state.requests.take_all())
    fail_waiter(self, id, entry.waiter, why);
}

/// Keeps one timer armed for the earliest deadline of the waiting requests, instead of one per
/// request: each timer is a wake-up of CAF's clock thread now and a message through CAF's
/// scheduler when it fires, which at thousands of requests a second costs more than the
/// requests themselves. A timer that fires finds what is due and arms the next one.
void arm_request_timer(self_pointer self) {
  auto& st = self->state;
  const auto next = st.requests.next_deadline();
  if (!next || (st.request_timer != 0 && st.request_timer_at <= *next))
    return;
  st.request_timer = ++st.request_timer_tokens;
  st.request_timer_at = *next;
  const auto wait = std::max(*next - now(), steady_time::duration::zero());
  self->delayed_send(self, std::chrono::ceil<std::chrono::microseconds>(wait),
                     request_timer_atom::value, st.request_timer);
}

void fail_bootstrap(self_pointer self, failure why);

/// Ends every request whose deadline has passed with request_timeout.
void expire_requests(self_pointer self) {
  auto& st = self->state;
  for (auto& [id, entry] : st.requests.take_expired(now())) {
    const failure why{errc::request_timeout, "no response to request " + std::to_string(id), 0, 0};
    if (entry.waiter.what == waiter::purpose::bootstrap ||
        entry.waiter.what == waiter::purpose::restore) {
      if (entry.waiter.what == waiter::purpose::restore)
        st.subscriptions.on_failed(id, why);
      fail_bootstrap(self, failure{errc::request_timeout, "bootstrap: " + why.detail, 0, 0});
      continue;
    }
    fail_waiter(self, id, entry.waiter, why);
  }
}

/// Writes a JSON-RPC request and registers its waiter. A failure when it could not be queued.
failure issue_request(self_pointer self, json_rpc::request_id id, std::string text, waiter w,
                      milliseconds timeout, bool urgent = false) {
  auto& st = self->state;
  if (st.requests.size() >= st.config->max_pending_requests)
    return {errc::too_many_pending,
            std::to_string(st.config->max_pending_requests) +
                " requests already wait for their answers (max_pending_requests)",
            0, 0};
  const auto size = text.size();
  const auto code = urgent ? st.link->send_urgent(frame_kind::text, std::move(text))
                           : st.link->send(frame_kind::text, std::move(text));
  if (code != errc::none)
    return queue_refusal(code, *st.config);
  ++st.counters.frames_out;
  st.counters.bytes_out += size;
  st.requests.add(id, std::move(w), now(), timeout);
  arm_request_timer(self);
  return {};
}

// -- recording ------------------------------------------------------------------------------------

/// Records a data frame (text redacted) when the connection has a recorder.
void record(self_pointer self, record_dir dir, frame_kind kind, std::string_view data) {
  auto& st = self->state;
  if (!st.recorder)
    return;
  record_entry e;
  e.ts = std::chrono::system_clock::now();
  e.dir = dir;
  e.type = kind == frame_kind::text ? record_type::text : record_type::binary;
  e.data = kind == frame_kind::text ? redact_secrets(data) : std::string{data};
  self->send(st.recorder, record_atom::value, to_jsonl(e));
}

/// Records how the connection closed.
void record_close(self_pointer self, const disconnect_info& info) {
  auto& st = self->state;
  if (!st.recorder || !info.was_open)
    return;
  record_entry e;
  e.ts = std::chrono::system_clock::now();
  e.dir = info.initiator == close_initiator::local ? record_dir::out : record_dir::in;
  e.type = record_type::close;
  e.close_code = info.code;
  e.close_reason = info.reason;
  self->send(st.recorder, record_atom::value, to_jsonl(e));
}

// -- rate limiting --------------------------------------------------------------------------------

void fail_bootstrap(self_pointer self, failure why);

/// What a request for `method` costs.
charges request_cost(const connection_data& st, std::string_view method) {
  const auto& cost = st.options.rate_limit.request_cost;
  return st.limiter && cost ? cost(method) : charges{};
}

/// Tells the handler when the wait queue's pressure level changes.
void report_pressure(self_pointer self) {
  auto& st = self->state;
  if (!st.limiter || st.limiter->level() == st.last_pressure)
    return;
  st.last_pressure = st.limiter->level();
  emit(self, telemetry_kind::pressure_changed,
       [&](telemetry_event& e) { e.detail = to_string(st.last_pressure); });
  notify(self, rate_limit_atom::value, st.last_pressure);
}

/// Wakes the actor when the first waiting frame will have its tokens.
void arm_release(self_pointer self) {
  auto& st = self->state;
  const auto t = now();
  if (const auto at = st.limiter->next_release(t))
    self->delayed_send(self, std::chrono::duration_cast<std::chrono::microseconds>(*at - t),
                       release_timer_atom::value, ++st.release_timer);
}

/// Writes a frame the limiter let through. When the socket refuses it, its tokens come back
/// and the refusal is returned; the waiter, if any, is the caller's to answer.
failure write_admitted(self_pointer self, held_frame& f) {
  auto& st = self->state;
  const bool user_request = f.id && f.w.what == waiter::purpose::user;
  record(self, record_dir::out, f.kind, f.data);
  failure refused;
  if (f.id) {
    refused = issue_request(self, *f.id, std::move(f.data), std::move(f.w), f.timeout);
    if (!refused && f.op)
      st.subscriptions.sent(*f.id, *f.op, std::move(f.channels));
  } else {
    const auto size = f.data.size();
    if (const auto code = st.link->send(f.kind, std::move(f.data)); code != errc::none) {
      refused = queue_refusal(code, *st.config);
    } else {
      ++st.counters.frames_out;
      st.counters.bytes_out += size;
    }
  }
  if (refused) {
    if (st.limiter)
      st.limiter->refund(f.cost, now());
    return refused;
  }
  if (!f.cost.empty())
    emit(self, telemetry_kind::rate_limit_consumed, [&](telemetry_event& e) {
      for (const auto& c : f.cost)
        e.count += c.cost;
    });
  if (user_request)
    emit(self, telemetry_kind::request_tracked, [&](telemetry_event& e) {
      e.count = static_cast<std::uint64_t>(*f.id);
      e.detail = std::move(f.method);
    });
  return {};
}

/// Ends a frame that will not be sent: the requester of a request (its waiter `w`), the
/// bootstrap, or, for a plain frame, the handler is told.
void fail_held(self_pointer self, bool request, waiter& w, const failure& why) {
  if (!request) {
    notify(self, error_atom::value, why);
    return;
  }
  switch (w.what) {
  case waiter::purpose::user:
    w.rpc.deliver(make_error(why));
    break;
  case waiter::purpose::subscribe:
    w.sub.deliver(make_error(why));
    break;
  case waiter::purpose::bootstrap:
  case waiter::purpose::restore:
    fail_bootstrap(self, why);
    break;
  case waiter::purpose::heartbeat:
    break;
  }
}

/// Sends `f` now, holds it until the limiter has tokens for it, or refuses it (rate_limited, or
/// the socket's refusal). A held frame is answered later, by release, timeout or drop.
failure submit(self_pointer self, held_frame f) {
  auto& st = self->state;
  if (!st.limiter || f.cost.empty())
    return write_admitted(self, f);
  const auto t = now();
  auto decision = st.limiter->offer(f.cost, t);
  if (decision.what == rate_limiter::verdict::send)
    return write_admitted(self, f);
  if (decision.what == rate_limiter::verdict::refused) {
    ++st.counters.rate_limited;
    emit_failure(self, telemetry_kind::rate_limit_rejected, decision.why);
    return decision.why;
  }
  if (f.op == subscription_op::unsubscribe)
    st.subscriptions.forget(f.channels); // out of the restore set at once, as when sent
  f.since = t;
  if (f.id)
    self->delayed_send(self, f.timeout, held_timer_atom::value, decision.id);
  st.held.emplace(decision.id, std::move(f));
  emit(self, telemetry_kind::rate_limit_queued,
       [&](telemetry_event& e) { e.count = st.limiter->queued(); });
  if (st.limiter->queued() == 1)
    arm_release(self);
  report_pressure(self);
  return {};
}

/// The release timer fired: the frames whose tokens are there go, in order. Frames are held only
/// while a transport exists: release_attempt drops them all when it forgets the transport.
void release_held(self_pointer self) {
  auto& st = self->state;
  const auto t = now();
  for (const auto ticket : st.limiter->release(t)) {
    auto node = st.held.extract(ticket);
    auto& f = node.mapped();
    // The response timeout started when the frame began to wait.
    const auto waited = std::chrono::duration_cast<milliseconds>(t - f.since);
    f.timeout = std::max(milliseconds{1}, f.timeout - waited);
    if (f.rebuild)
      f.data = st.wire->request(*f.id, f.method, f.params);
    auto w = f.w; // write_admitted moves the waiter into the request table
    const bool request = f.id.has_value();
    if (auto refused = write_admitted(self, f))
      fail_held(self, request, w, refused);
  }
  arm_release(self);
  report_pressure(self);
}

/// A waiting request ran out of time before it got its tokens: never sent.
void expire_held(self_pointer self, rate_limiter::ticket ticket) {
  auto& st = self->state;
  auto node = st.held.extract(ticket);
  if (node.empty())
    return;
  st.limiter->cancel(ticket);
  ++st.counters.rate_limited;
  auto& f = node.mapped();
  const failure why{
      errc::rate_limited,
      "waited " + std::to_string(f.timeout.count()) + "ms for rate-limit tokens; not sent", 0, 0};
  emit_failure(self, telemetry_kind::rate_limit_rejected, why);
  fail_held(self, f.id.has_value(), f.w, why);
  report_pressure(self);
}

/// The connection is gone: frames still waiting for tokens end, never sent.
void drop_held(self_pointer self) {
  auto& st = self->state;
  if (!st.limiter)
    return;
  for (const auto ticket : st.limiter->drain()) {
    auto node = st.held.extract(ticket);
    auto& f = node.mapped();
    fail_held(self, f.id.has_value(), f.w,
              failure{errc::not_connected,
                      "the connection dropped while the frame waited for rate-limit tokens; "
                      "not sent",
                      0, 0});
  }
  report_pressure(self);
}

/// Heartbeat frames and pongs go regardless; the limiter is charged for them.
void debit_heartbeat(self_pointer self) {
  auto& st = self->state;
  if (st.limiter && !st.options.rate_limit.heartbeat_cost.empty())
    st.limiter->debit(st.options.rate_limit.heartbeat_cost, now());
}

failure not_ready(const connection_data& st) {
  if (st.state == connection_state::closed)
    return {errc::closed, "request after close"};
  return {errc::not_connected, std::string("request while ") + to_string(st.state)};
}

milliseconds timeout_or_default(const connection_data& st, caf::timespan timeout) {
  if (timeout.count() <= 0)
    return st.config->timeouts.request;
  return std::max(milliseconds{1}, std::chrono::duration_cast<milliseconds>(timeout));
}

caf::result<rpc_response> user_request(self_pointer self, std::string& method, std::string& params,
                                       caf::timespan timeout) {
  auto& st = self->state;
  if (st.state != connection_state::connected)
    return make_error(not_ready(st));
  if (auto bad = st.wire->check_request(method, params))
    return make_error(bad);
  held_frame f;
  f.id = st.requests.next_id();
  f.data = st.wire->request(*f.id, method, params);
  // A signed frame that waits for tokens would go out with a stale timestamp: keep what it
  // takes to sign it again when it is released.
  f.rebuild = st.limiter && st.wire->time_sensitive();
  if (st.options.telemetry || f.rebuild)
    f.method = method;
  if (f.rebuild)
    f.params = std::move(params);
  f.w.rpc = self->make_response_promise<rpc_response>();
  f.timeout = timeout_or_default(st, timeout);
  f.cost = request_cost(st, method);
  auto rp = f.w.rpc;
  // Once a promise exists, CAF ignores the handler's return value: a refusal must go through
  // the promise, or the requester never hears back.
  if (auto refused = submit(self, std::move(f)))
    rp.deliver(make_error(refused));
  return rp;
}

/// True when no socket is open or being opened: the server holds no subscriptions of ours.
bool offline(connection_state state) {
  return state == connection_state::idle || state == connection_state::reconnecting ||
         state == connection_state::disconnected;
}

caf::result<subscription_outcome> user_subscription(self_pointer self, subscription_op op,
                                                    std::vector<std::string>& channels) {
  auto& st = self->state;
  if (op == subscription_op::unsubscribe && offline(st.state)) {
    st.subscriptions.forget(channels); // not restored on the next connect
    emit(self, telemetry_kind::subscription_removed,
         [&](telemetry_event& e) { e.count = channels.size(); });
    return subscription_outcome{op, std::move(channels), {}, {}};
  }
  if (st.state != connection_state::connected)
    return make_error(not_ready(st));
  if (auto bad = st.wire->check_channels(op, channels, st.subscriptions.active().size()))
    return make_error(bad);
  held_frame f;
  f.id = st.requests.next_id();
  f.data = st.wire->subscription_request(*f.id, op, channels);
  f.w.what = waiter::purpose::subscribe;
  f.w.sub = self->make_response_promise<subscription_outcome>();
  f.timeout = st.config->timeouts.request;
  f.cost = request_cost(st, st.wire->subscription_method(op));
  f.op = op;
  f.channels = std::move(channels);
  auto rp = f.w.sub;
  if (auto refused = submit(self, std::move(f)))
    rp.deliver(make_error(refused)); // through the promise, as in user_request
  return rp;
}

// -- readiness ------------------------------------------------------------------------------------

/// Checks the connection's age in slices of at most a second: a pending delayed message keeps
/// its actor alive, and a day-long one would keep a connection nobody holds for a day.
void arm_lifetime(self_pointer self) {
  auto& st = self->state;
  const auto left =
      st.options.max_lifetime - std::chrono::duration_cast<milliseconds>(now() - st.ready_at);
  self->delayed_send(self, std::clamp(left, milliseconds{0}, milliseconds{1000}),
                     lifetime_timer_atom::value, st.attempt);
}

void become_ready(self_pointer self) {
  auto& st = self->state;
  st.state = connection_state::connected;
  ++st.counters.connects;
  st.policy.on_ready(now());
  st.ready_at = now();
  if (st.options.max_lifetime.count() > 0)
    arm_lifetime(self);
  // Telemetry first: whoever the promises wake may already look for the ready event.
  emit(self, telemetry_kind::ready);
  for (auto& rp : st.connect_promises)
    if (rp.pending())
      rp.deliver(st.last_upgrade);
  st.connect_promises.clear();
  notify(self, connected_atom::value, st.last_upgrade);
}

/// Sends the next bootstrap step, or reports ready when none is left.
void continue_bootstrap(self_pointer self) {
  auto& st = self->state;
  if (st.state != connection_state::connecting || !st.link || st.bootstrap_failure)
    return; // closed meanwhile, or already failing
  if (st.bootstrap.empty()) {
    become_ready(self);
    return;
  }
  auto step = std::move(st.bootstrap.front());
  st.bootstrap.pop_front();
  held_frame f;
  f.id = st.requests.next_id();
  if (step.what == waiter::purpose::restore) {
    f.channels = std::move(step.channels);
    f.data = st.wire->subscription_request(*f.id, subscription_op::subscribe, f.channels);
    f.op = subscription_op::subscribe;
    f.cost = request_cost(st, st.wire->subscription_method(subscription_op::subscribe));
  } else {
    f.data = st.wire->request(*f.id, step.method, step.params);
    f.cost = request_cost(st, step.method);
  }
  f.w.what = step.what;
  f.w.bootstrap_error = step.on_error;
  f.timeout = st.config->timeouts.request;
  if (auto refused = submit(self, std::move(f))) {
    st.bootstrap_failure = refused;
    st.link->close(1000, "bootstrap failed");
  }
}

/// The bootstrap's steps for this attempt: the adapter's calls (fresh each time), the
/// heartbeat setup, then the restore of confirmed subscriptions.
void plan_bootstrap(connection_data& st) {
  st.bootstrap.clear();
  if (st.options.bootstrap)
    for (auto& call : st.options.bootstrap())
      st.bootstrap.push_back({std::move(call.method),
                              std::move(call.params),
                              errc::auth_failed,
                              waiter::purpose::bootstrap,
                              {}});
  if (auto setup = st.heartbeat.setup_request())
    st.bootstrap.push_back(
        {setup->payload, setup->params, errc::server_error, waiter::purpose::bootstrap, {}});
  // The restore set as it is now, in requests the dialect allows.
  const auto channels = st.subscriptions.restore_list();
  const auto per_request = std::max<std::size_t>(1, st.wire->channels_per_request());
  for (std::size_t i = 0; i < channels.size(); i += per_request) {
    const auto end =
        channels.begin() + static_cast<std::ptrdiff_t>(std::min(channels.size(), i + per_request));
    st.bootstrap.push_back({{},
                            {},
                            errc::server_error,
                            waiter::purpose::restore,
                            {channels.begin() + static_cast<std::ptrdiff_t>(i), end}});
  }
}

/// A bootstrap step failed: close this attempt; the drop is reported with `why`.
void fail_bootstrap(self_pointer self, failure why) {
  auto& st = self->state;
  if (!st.link || st.bootstrap_failure)
    return;
  st.bootstrap_failure = std::move(why);
  st.bootstrap.clear();
  st.link->close(1000, "bootstrap failed");
}

// -- heartbeats -----------------------------------------------------------------------------------

void arm_heartbeat(self_pointer self) {
  auto& st = self->state;
  const auto interval = st.heartbeat.tick_interval();
  if (interval.count() == 0)
    return;
  self->delayed_send(self, interval, heartbeat_timer_atom::value, st.heartbeat_timer);
}

void drop_connection(self_pointer self, failure why);

/// Reports heartbeats the monitor heard since it had heard `received_before`.
void emit_heard(self_pointer self, std::uint64_t received_before) {
  auto& st = self->state;
  if (!st.options.telemetry)
    return;
  if (st.heartbeat.heard() == received_before)
    return;
  emit(self, telemetry_kind::heartbeat_answered,
       [&](telemetry_event& e) { e.duration = st.heartbeat.last_rtt(); });
}

/// A tick that counted a miss is reported with the run of misses.
void emit_missed(self_pointer self, std::uint64_t failures_before) {
  auto& st = self->state;
  if (!st.options.telemetry)
    return;
  if (st.heartbeat.failures() != failures_before)
    emit(self, telemetry_kind::heartbeat_missed,
         [&](telemetry_event& e) { e.count = st.heartbeat.missed(); });
}

void perform(self_pointer self, heartbeat_action action) {
  auto& st = self->state;
  switch (action.what) {
  case heartbeat_action::type::none:
    return;
  case heartbeat_action::type::send_ping:
    emit(self, telemetry_kind::heartbeat_sent);
    debit_heartbeat(self);
    st.link->ping(std::move(action.payload));
    return;
  case heartbeat_action::type::send_text:
    emit(self, telemetry_kind::heartbeat_sent);
    debit_heartbeat(self);
    st.link->send_urgent(frame_kind::text, std::move(action.payload));
    return;
  case heartbeat_action::type::send_request: {
    emit(self, telemetry_kind::heartbeat_sent);
    debit_heartbeat(self);
    const auto id = st.requests.next_id();
    waiter w;
    w.what = waiter::purpose::heartbeat;
    issue_request(self, id, st.wire->request(id, action.payload, action.params), std::move(w),
                  st.config->timeouts.request, true);
    return;
  }
  case heartbeat_action::type::stale:
    drop_connection(self, failure{errc::stale,
                                  std::string("no heartbeat (") + to_string(st.heartbeat.policy()) +
                                      ") for " + std::to_string(st.config->heartbeat.max_missed) +
                                      " intervals of " +
                                      std::to_string(st.config->heartbeat.interval.count()) + "ms",
                                  0, 0});
    return;
  }
}

// -- the end of a connection ----------------------------------------------------------------------

/// Why a connection that ended without an error ended, for the reconnect policy.
failure cause_of(const disconnect_info& info) {
  if (info.error)
    return info.error;
  return {errc::connection_lost,
          "the server closed the connection with code " + std::to_string(info.code), 0, 0};
}

/// Forgets the current attempt (transport, heartbeat timer, bootstrap) and fails its waiting
/// requests with `detail`. Returns the bootstrap failure that was closing it, if any.
failure release_attempt(self_pointer self, const std::string& detail) {
  auto& st = self->state;
  st.link.reset();
  st.heartbeat_timer = 0;
  st.bootstrap.clear();
  fail_all_requests(self, detail);
  drop_held(self);
  return std::exchange(st.bootstrap_failure, {});
}

void emit_disconnected(self_pointer self, const disconnect_info& info) {
  emit(self, telemetry_kind::disconnected, [&](telemetry_event& e) {
    e.count = info.code;
    e.detail = info.reason;
    e.error = info.error;
  });
}

/// The current attempt or connection is over (`info` says how): answer its waiters, tell the
/// handler, then retry or give up as the policy says.
void on_ended(self_pointer self, disconnect_info info) {
  auto& st = self->state;
  const auto venue_limited = std::exchange(st.venue_limited, {});
  record_close(self, info);
  auto bootstrap_failure = release_attempt(self, "the connection dropped while the request waited");
  const bool bootstrap_failed = static_cast<bool>(bootstrap_failure);
  if (bootstrap_failed)
    info.error = std::move(bootstrap_failure);
  if (info.error)
    st.counters.last_error = info.error;
  st.last_disconnect = info;

  // A failed bootstrap closes the socket itself; that is a failure for the policy to judge
  // (an auth error gives up, fatally), not the owner asking to close.
  const bool asked_to_close = st.state == connection_state::closing ||
                              (info.initiator == close_initiator::local && !bootstrap_failed);
  if (asked_to_close) {
    st.state = connection_state::closed;
    answer_connects(self, info.error
                              ? info.error
                              : failure{errc::closed, "closed before the connection was ready"});
    for (auto& rp : st.close_promises)
      rp.deliver(info);
    st.close_promises.clear();
    emit_disconnected(self, info);
    notify(self, disconnected_atom::value, std::move(info));
    return;
  }

  const auto cause = venue_limited && !bootstrap_failed
                         ? failure{errc::venue_rate_limited,
                                   "the venue refused a request for its rate limit (" +
                                       venue_limited.detail + "), then the connection ended",
                                   0, 0}
                         : cause_of(info);
  emit_disconnected(self, info);
  notify(self, disconnected_atom::value, std::move(info));
  auto decision = st.policy.on_failure(cause, now());
  if (auto* plan = std::get_if<retry_plan>(&decision)) {
    st.state = connection_state::reconnecting;
    st.counters.reconnects = st.policy.retries_planned();
    if (plan->delay.count() == 0) // immediate_first_retry: no trip through CAF's clock thread
      self->send(self, retry_timer_atom::value, plan->token);
    else
      self->delayed_send(self, plan->delay, retry_timer_atom::value, plan->token);
    emit(self, telemetry_kind::reconnect_planned, [&](telemetry_event& e) {
      e.count = plan->retry;
      e.duration = plan->delay;
      e.error = cause;
    });
    notify(self, reconnecting_atom::value, reconnect_notice{plan->retry, plan->delay, cause});
    return;
  }
  auto& end = std::get<give_up_info>(decision);
  st.state = connection_state::disconnected;
  answer_connects(self, end.last);
  emit_failure(self, telemetry_kind::gave_up, end.last);
  notify(self, gave_up_atom::value, std::move(end));
}

/// Tears the socket down now (stale heartbeat, explicit reconnect) and handles the end.
void drop_connection(self_pointer self, failure why) {
  auto& st = self->state;
  if (!st.link)
    return;
  st.link->abort(); // reports nothing more: the end is handled here
  disconnect_info info;
  info.initiator = close_initiator::none;
  info.was_open = st.last_upgrade.status == 101;
  info.error = std::move(why);
  on_ended(self, std::move(info));
}

/// Ends the current attempt or connection for an explicit reconnect: no policy decision, and
/// the pending connect requests keep waiting for the new attempt. `why` is the reason the
/// handler hears, if any.
void abandon_connection(self_pointer self, const std::string& detail, failure why = {}) {
  auto& st = self->state;
  if (!st.link)
    return;
  st.link->abort();
  release_attempt(self, detail);
  disconnect_info info;
  info.initiator = close_initiator::local;
  info.error = std::move(why);
  info.was_open = st.state == connection_state::connected;
  emit_disconnected(self, info);
  st.last_disconnect = info;
  notify(self, disconnected_atom::value, std::move(info));
}

// -- inbound --------------------------------------------------------------------------------------

void emit_subscription(self_pointer self, const subscription_outcome& outcome) {
  emit(self,
       outcome.op == subscription_op::subscribe ? telemetry_kind::subscription_added
                                                : telemetry_kind::subscription_removed,
       [&](telemetry_event& e) { e.count = outcome.accepted.size(); });
}

/// A response or error for request `id`. False when nothing waits for it.
bool complete_request(self_pointer self, const json_rpc::message& msg) {
  auto& st = self->state;
  auto entry = st.requests.take(*msg.id);
  if (!entry)
    return false;
  auto& w = entry->waiter;
  const bool ok = msg.what == json_rpc::kind::response;
  const auto round_trip =
      std::chrono::duration_cast<std::chrono::microseconds>(now() - entry->sent_at);
  if (!ok) {
    const auto why = json_rpc::to_failure(msg);
    if (why.code == errc::venue_rate_limited)
      st.venue_limited = why;
    if (w.what == waiter::purpose::bootstrap) {
      // "Too many requests" to an auth call is no verdict on the credentials.
      const auto code = why.code == errc::venue_rate_limited ? why.code : w.bootstrap_error;
      fail_bootstrap(self, failure{code, why.detail, 0, 0});
      return true;
    }
    if (w.what == waiter::purpose::restore) {
      fail_bootstrap(self, failure{errc::server_error, "restore: " + why.detail, 0, 0});
      st.subscriptions.on_failed(*msg.id, why);
      return true;
    }
    fail_waiter(self, *msg.id, w, why);
    return true;
  }
  switch (w.what) {
  case waiter::purpose::user:
    st.latency.record(round_trip);
    emit(self, telemetry_kind::request_resolved,
         [&](telemetry_event& e) { e.duration = round_trip; });
    w.rpc.deliver(rpc_response{msg.result, round_trip, msg.meta, msg.status});
    break;
  case waiter::purpose::subscribe:
  case waiter::purpose::restore: {
    // The tracker knows what was asked; the dialect says what the answer confirms.
    auto outcome = st.subscriptions.on_confirmed(
        *msg.id, st.wire->confirmed(msg, st.subscriptions.requested(*msg.id)));
    if (w.what == waiter::purpose::subscribe && outcome) {
      emit_subscription(self, *outcome);
      w.sub.deliver(std::move(*outcome));
    } else if (outcome) {
      emit(self, telemetry_kind::subscriptions_restored,
           [&](telemetry_event& e) { e.count = outcome->accepted.size(); });
      notify(self, restored_atom::value, std::move(*outcome));
      continue_bootstrap(self);
    }
    break;
  }
  case waiter::purpose::bootstrap:
    continue_bootstrap(self);
    break;
  case waiter::purpose::heartbeat:
    break;
  }
  return true;
}

/// True when a text frame may be an answer, a venue event or a heartbeat: only those are read.
bool worth_reading(const connection_data& st, std::string_view text) {
  if (st.wire->worth_reading(text))
    return true;
  return st.heartbeat.policy() == heartbeat_policy::deribit && contains(text, "\"heartbeat\"");
}

void replace_connection(self_pointer self, const failure& why);

/// Hands a message to the handler: into the batch being collected when the handler takes
/// batches, else as a message of its own.
void deliver(self_pointer self, frame_kind kind, std::string_view payload) {
  auto& st = self->state;
  if (!st.handler)
    return;
  if (st.options.deliver_batches)
    st.outgoing.add(kind, payload);
  else if (kind == frame_kind::text)
    self->send(st.handler, text_frame{std::string(payload)});
  else
    self->send(st.handler, binary_frame{std::string(payload)});
}

/// `arrived`: when the read that brought the message ended (one clock reading per batch).
void on_text(self_pointer self, std::string_view text, steady_time arrived) {
  auto& st = self->state;
  inbound msg;
  if (worth_reading(st, text))
    msg = st.wire->read(text);
  heartbeat_action reply;
  const auto heard = st.heartbeat.heard();
  if (st.heartbeat.on_text(text, msg, arrived, reply)) {
    emit_heard(self, heard);
    perform(self, std::move(reply));
    return;
  }
  if (msg.what == json_rpc::kind::partial)
    return; // the dialect counts it towards an answer still to come
  const bool is_answer = msg.what == json_rpc::kind::response || msg.what == json_rpc::kind::error;
  if (is_answer && msg.id && complete_request(self, msg))
    return;
  if (is_answer) {
    notify(self, unmatched_atom::value, text_frame{std::string(text)});
    return;
  }
  deliver(self, frame_kind::text, text);
  if (msg.what == json_rpc::kind::shutdown)
    replace_connection(
        self, failure{errc::server_shutdown, "the venue announced the connection's end", 0, 0});
}

void on_message(self_pointer self, frame_kind kind, std::string_view payload, steady_time arrived) {
  auto& st = self->state;
  ++st.counters.frames_in;
  st.counters.bytes_in += payload.size();
  record(self, record_dir::in, kind, payload);
  if (kind == frame_kind::text)
    on_text(self, payload, arrived);
  else
    deliver(self, kind, payload);
}

// -- close and send -------------------------------------------------------------------------------

/// Checks a close request's code and reason.
failure close_refusal(std::uint16_t code, const std::string& reason) {
  if (code != 0 && !is_sendable(code))
    return {errc::bad_close_code, "close code " + std::to_string(code) +
                                      " may not be sent (use 1000-1003, 1007-1014, 3000-4999)"};
  if (code == 0 && !reason.empty())
    return {errc::bad_close_reason, "a close reason needs a close code"};
  if (reason.size() > max_close_reason_bytes)
    return {errc::bad_close_reason, "close reason of " + std::to_string(reason.size()) +
                                        " bytes exceeds " + std::to_string(max_close_reason_bytes)};
  if (!is_valid_utf8(reason))
    return {errc::bad_close_reason, "close reason is not valid UTF-8"};
  return {};
}

/// A send failed: the requester gets the error; a plain send reports it to the handler.
caf::result<void> refuse_send(self_pointer self, failure f) {
  self->state.counters.last_error = f;
  if (self->current_message_id().is_request())
    return make_error(f);
  notify(self, error_atom::value, std::move(f));
  return caf::unit;
}

caf::result<void> send_frame(self_pointer self, frame_kind kind, std::string& data) {
  auto& st = self->state;
  if (st.state != connection_state::connected)
    return refuse_send(
        self, st.state == connection_state::closed
                  ? failure{errc::closed, "send after close"}
                  : failure{errc::not_connected, std::string("send while ") + to_string(st.state)});
  // The server would fail the whole connection over it (RFC 6455 8.1), taking every pending
  // request down with it: refuse the one message instead.
  if (kind == frame_kind::text && !is_valid_utf8(data))
    return refuse_send(self, failure{errc::bad_text, "the text message is not UTF-8"});
  held_frame f;
  f.kind = kind;
  f.data = std::move(data);
  if (st.limiter)
    f.cost = st.options.rate_limit.frame_cost;
  if (auto refused = submit(self, std::move(f)))
    return refuse_send(self, std::move(refused));
  return caf::unit;
}

/// The venue will end this connection (a shutdown notice, or the lifetime is up): replace it
/// at once rather than wait for the drop and the backoff. The handler hears the drop with
/// `why`, then a reconnect with no delay.
void replace_connection(self_pointer self, const failure& why) {
  auto& st = self->state;
  if (st.state != connection_state::connected)
    return;
  abandon_connection(self, why.detail + "; the request was waiting", why);
  notify(self, reconnecting_atom::value, reconnect_notice{1, milliseconds{0}, why});
  st.policy.restart();
  start_attempt(self);
}

caf::result<disconnect_info> close_connection(self_pointer self, std::uint16_t code,
                                              std::string& reason) {
  auto& st = self->state;
  if (auto refusal = close_refusal(code, reason))
    return make_error(refusal);
  switch (st.state) {
  case connection_state::idle:
  case connection_state::disconnected:
  case connection_state::reconnecting:
    st.policy.cancel();
    st.state = connection_state::closed;
    st.last_disconnect = disconnect_info{close_initiator::local, code, {}, {}, 0, false};
    answer_connects(self, failure{errc::closed, "closed before the connection was ready"});
    return st.last_disconnect;
  case connection_state::closed:
    return st.last_disconnect;
  default:
    break;
  }
  if (st.state != connection_state::closing) {
    st.state = connection_state::closing;
    st.link->close(code, std::move(reason));
  }
  return st.close_promises.emplace_back(self->make_response_promise<disconnect_info>());
}

connection_metrics metrics_of(const connection_data& st) {
  auto m = st.counters;
  m.state = st.state;
  m.write_queue_depth = st.link ? st.link->queue_depth() : 0;
  m.pending_requests = st.requests.size();
  m.subscriptions = st.subscriptions.active().size();
  m.latency = st.latency.summary();
  if (st.limiter) {
    m.rate_limit_queued = st.limiter->queued();
    m.rate_limit_pressure = st.limiter->level();
  }
  return m;
}

// -- the behavior ---------------------------------------------------------------------------------

connection_impl::behavior_type connection(self_pointer self, io_runtime* io,
                                          connection_config config, connection_options options,
                                          connection_handler handler) {
  // A handler without a clause for some event answers it with an error message (CAF's default
  // handlers do). That must not end the connection, as CAF's default error handler would.
  self->set_error_handler([](caf::error&) {});
  auto& init = self->state;
  init.io = io;
  init.policy = reconnect_policy{config.reconnect, std::random_device{}()};
  init.heartbeat = heartbeat_monitor{config.heartbeat, config.latency_buffer_size};
  init.latency = latency_stats{config.latency_buffer_size};
  init.config = std::make_shared<const connection_config>(std::move(config));
  init.options = std::move(options);
  if (!init.options.dialect)
    init.options.dialect = default_dialect();
  init.wire = init.options.dialect->clone();
  init.source = init.options.label;
  if (init.source.empty())
    if (auto parsed = parse_url(init.config->url); parsed.url)
      init.source = parsed.url->authority();
  init.handler = std::move(handler);
  if (init.options.link_handler && init.handler)
    self->link_to(init.handler);
  init.subscriptions.adopt(init.options.restore_subscriptions);
  init.options.restore_subscriptions = {};
  if (!init.config->record_to.empty()) {
    if (auto recorder = spawn_recorder(self->system(), init.config->record_to))
      init.recorder = std::move(*recorder);
    else
      init.record_error = to_failure(recorder.error());
  }
  if (!init.options.rate_limit.limits.buckets.empty()) {
    if (auto invalid = validate(init.options.rate_limit.limits))
      init.limiter_error = std::move(invalid);
    else
      init.limiter.emplace(init.options.rate_limit.limits, now());
  }
  return {
      // -- user interface --
      [=](caf::connect_atom) -> caf::result<upgrade_response> {
        auto& st = self->state;
        if (auto refusal = connect_refusal(st))
          return make_error(refusal);
        st.policy.restart();
        start_attempt(self);
        return st.connect_promises.emplace_back(self->make_response_promise<upgrade_response>());
      },
      [=](reconnect_atom) -> caf::result<upgrade_response> {
        auto& st = self->state;
        if (st.state == connection_state::closed || st.state == connection_state::closing)
          return make_error(failure{errc::closed, "reconnect after close"});
        if (auto refusal = config_refusal(*st.config))
          return make_error(refusal);
        abandon_connection(self, "reconnect() dropped the connection while the request waited");
        st.policy.restart();
        start_attempt(self);
        return st.connect_promises.emplace_back(self->make_response_promise<upgrade_response>());
      },
      [=](send_atom, text_frame& f) { return send_frame(self, frame_kind::text, f.data); },
      [=](send_atom, binary_frame& f) { return send_frame(self, frame_kind::binary, f.data); },
      [=](request_atom, std::string& method, std::string& params, caf::timespan timeout) {
        return user_request(self, method, params, timeout);
      },
      [=](subscribe_atom, std::vector<std::string>& channels) {
        return user_subscription(self, subscription_op::subscribe, channels);
      },
      [=](unsubscribe_atom, std::vector<std::string>& channels) {
        return user_subscription(self, subscription_op::unsubscribe, channels);
      },
      [=](caf::close_atom, std::uint16_t code, std::string& reason) {
        return close_connection(self, code, reason);
      },
      [=](caf::get_atom, state_atom) { return self->state.state; },
      [=](caf::get_atom, metrics_atom) { return metrics_of(self->state); },
      [=](caf::get_atom, upgrade_atom) { return self->state.last_upgrade; },
      [=](caf::get_atom, heartbeat_atom) { return self->state.heartbeat.health(now()); },
      [=](caf::get_atom, subscribe_atom) { return self->state.subscriptions.restore_list(); },
      // -- transport events --
      [=](ws_open_atom, std::uint64_t attempt, upgrade_response& response) {
        auto& st = self->state;
        if (!is_current(self, attempt))
          return;
        st.last_upgrade = std::move(response);
        emit(self, telemetry_kind::upgraded, [&](telemetry_event& e) {
          e.duration = st.last_upgrade.connect_time + st.last_upgrade.tls_time +
                       st.last_upgrade.upgrade_time;
        });
        if (st.state != connection_state::connecting)
          return; // close() came first: the close handshake is under way
        st.heartbeat.start(now());
        st.heartbeat_timer = st.attempt;
        arm_heartbeat(self);
        plan_bootstrap(st);
        continue_bootstrap(self);
      },
      [=](ws_message_atom, std::uint64_t attempt, message_batch& batch) {
        if (!is_current(self, attempt))
          return;
        const auto arrived = now();
        for (const auto m : batch.messages()) {
          on_message(self, m.kind, m.payload, arrived);
          if (!is_current(self, attempt))
            return; // a message ended this connection (a shutdown notice)
        }
        flush_deliveries(self);
      },
      [=](ws_ping_atom, std::uint64_t attempt, std::string&) {
        if (!is_current(self, attempt))
          return;
        const auto heard = self->state.heartbeat.heard();
        self->state.heartbeat.on_ping(now()); // the transport has answered it
        emit_heard(self, heard);
        debit_heartbeat(self); // and the pong counts against the limit
      },
      [=](ws_pong_atom, std::uint64_t attempt, std::string& payload) {
        if (!is_current(self, attempt))
          return;
        const auto heard = self->state.heartbeat.heard();
        self->state.heartbeat.on_pong(payload, now());
        emit_heard(self, heard);
      },
      [=](ws_closed_atom, std::uint64_t attempt, disconnect_info& info) {
        if (is_current(self, attempt))
          on_ended(self, std::move(info));
      },
      // -- timers --
      [=](retry_timer_atom, std::uint64_t token) {
        auto& st = self->state;
        if (st.state == connection_state::reconnecting && st.policy.take(token))
          start_attempt(self);
      },
      [=](heartbeat_timer_atom, std::uint64_t token) {
        auto& st = self->state;
        if (!st.link || token == 0 || token != st.heartbeat_timer)
          return;
        const auto failures = st.heartbeat.failures();
        auto action = st.heartbeat.on_tick(now());
        emit_missed(self, failures);
        perform(self, std::move(action));
        if (st.link && token == st.heartbeat_timer)
          arm_heartbeat(self);
      },
      [=](release_timer_atom, std::uint64_t token) {
        if (self->state.limiter && token == self->state.release_timer)
          release_held(self);
      },
      [=](held_timer_atom, std::uint64_t ticket) { expire_held(self, ticket); },
      [=](lifetime_timer_atom, std::uint64_t attempt) {
        auto& st = self->state;
        if (!is_current(self, attempt) || st.state != connection_state::connected)
          return;
        if (now() - st.ready_at < st.options.max_lifetime) {
          arm_lifetime(self);
          return;
        }
        const auto lifetime = st.options.max_lifetime.count();
        replace_connection(
            self,
            failure{errc::server_shutdown,
                    "connection lifetime of " + std::to_string(lifetime) + "ms reached", 0, 0});
      },
      [=](request_timer_atom, std::uint64_t token) {
        auto& st = self->state;
        if (token != st.request_timer)
          return; // replaced by a timer for an earlier deadline
        st.request_timer = 0;
        expire_requests(self);
        arm_request_timer(self);
      },
  };
}

} // namespace

connection_actor spawn_connection(caf::actor_system& sys, io_runtime& io, connection_config config,
                                  caf::actor handler) {
  return spawn_connection(sys, io, std::move(config), connection_options{}, std::move(handler));
}

connection_actor spawn_connection(caf::actor_system& sys, io_runtime& io, connection_config config,
                                  const connection_handler& handler) {
  return sys.spawn(connection, &io, std::move(config), connection_options{}, handler);
}

connection_actor spawn_connection(caf::actor_system& sys, io_runtime& io, connection_config config,
                                  connection_options options, caf::actor handler) {
  return sys.spawn(connection, &io, std::move(config), std::move(options),
                   caf::actor_cast<connection_handler>(std::move(handler)));
}

} // namespace zenws
