#include "zenws/actors/connection_actor.hpp"

#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include <caf/response_promise.hpp>
#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include "zenws/actors/io_runtime.hpp"
#include "zenws/protocol/close_code.hpp"
#include "zenws/protocol/utf8.hpp"

namespace zenws {

namespace {

/// The transport's events sink: turns each event into a message in the connection's mailbox.
/// It holds only a weak handle, so the transport never keeps a dead actor alive.
class mailbox_events final : public transport_events {
public:
  mailbox_events(caf::weak_actor_ptr owner, std::uint64_t attempt)
      : owner_(std::move(owner)), attempt_(attempt) {}

  void on_open(upgrade_response response) override {
    notify(ws_open_atom::value, attempt_, std::move(response));
  }
  void on_message(frame_kind kind, std::string payload) override {
    notify(ws_message_atom::value, attempt_, kind, std::move(payload));
  }
  void on_ping(std::string payload) override {
    notify(ws_ping_atom::value, attempt_, std::move(payload));
  }
  void on_pong(std::string payload) override {
    notify(ws_pong_atom::value, attempt_, std::move(payload));
  }
  void on_closed(disconnect_info info) override {
    notify(ws_closed_atom::value, attempt_, std::move(info));
  }

private:
  template <class... Ts>
  void notify(Ts&&... xs) {
    if (auto owner = caf::actor_cast<connection_impl>(owner_))
      caf::anon_send(owner, std::forward<Ts>(xs)...);
  }

  caf::weak_actor_ptr owner_;
  std::uint64_t attempt_;
};

} // namespace

// -- state ----------------------------------------------------------------------------------------

struct connection_data {
  static inline const char* name = "zenws.connection";

  io_runtime* io = nullptr;
  connection_config config;
  connection_handler handler; // may be a dynamically typed actor cast to the event interface

  connection_state state = connection_state::idle;
  std::shared_ptr<transport> link; // the current attempt's transport, if any
  std::uint64_t attempt = 0;
  upgrade_response last_upgrade;
  disconnect_info last_disconnect;
  connection_metrics counters;

  std::optional<caf::typed_response_promise<upgrade_response>> connect_promise;
  std::vector<caf::typed_response_promise<disconnect_info>> close_promises;

  connection_data() = default;
  connection_data(const connection_data&) = delete;
  connection_data& operator=(const connection_data&) = delete;

  /// Runs when the actor terminates, however it terminates.
  ~connection_data() {
    if (link)
      link->abort();
    const auto gone = make_error(failure{errc::closed, "the connection actor terminated"});
    if (connect_promise && connect_promise->pending())
      connect_promise->deliver(gone);
    for (auto& rp : close_promises)
      if (rp.pending())
        rp.deliver(gone);
  }
};

namespace {

using self_pointer = connection_impl::stateful_pointer<connection_data>;

bool is_current(self_pointer self, std::uint64_t attempt) {
  return self->state.link && attempt == self->state.attempt;
}

/// Starts a new attempt: a fresh transport whose events carry the new attempt number.
void start_attempt(self_pointer self, const ws_url& url) {
  auto& st = self->state;
  ++st.attempt;
  auto events =
      std::make_shared<mailbox_events>(caf::actor_cast<caf::weak_actor_ptr>(self), st.attempt);
  st.link = transport::create(*st.io, st.config, url, std::move(events));
  st.state = connection_state::connecting;
  st.link->start();
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
  if (auto parsed = parse_url(st.config.url); !parsed.url)
    return {errc::invalid_url, parsed.error};
  if (auto problems = validate(st.config); !problems.empty())
    return {errc::invalid_config, describe(problems)};
  return {};
}

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
  if (self->state.handler)
    self->send(self->state.handler, error_atom::value, std::move(f));
  return caf::unit;
}

caf::result<void> send_frame(self_pointer self, frame_kind kind, std::string& data) {
  auto& st = self->state;
  if (st.state != connection_state::connected)
    return refuse_send(
        self, st.state == connection_state::closed
                  ? failure{errc::closed, "send after close"}
                  : failure{errc::not_connected, std::string("send while ") + to_string(st.state)});
  const auto size = data.size();
  if (auto code = st.link->send(kind, std::move(data)); code != errc::none)
    return refuse_send(self, {code, code == errc::write_queue_full
                                        ? std::to_string(st.config.max_write_queue) +
                                              " frames already wait to be written"
                                        : "the connection is closing"});
  ++st.counters.frames_out;
  st.counters.bytes_out += size;
  return caf::unit;
}

void on_open(self_pointer self, upgrade_response& response) {
  auto& st = self->state;
  st.state = connection_state::connected;
  ++st.counters.connects;
  st.last_upgrade = response;
  if (st.connect_promise && st.connect_promise->pending())
    st.connect_promise->deliver(response);
  st.connect_promise.reset();
  if (st.handler)
    self->send(st.handler, connected_atom::value, std::move(response));
}

void on_closed(self_pointer self, disconnect_info& info) {
  auto& st = self->state;
  st.link.reset();
  const bool asked_to_close =
      st.state == connection_state::closing || info.initiator == close_initiator::local;
  st.state = asked_to_close ? connection_state::closed : connection_state::disconnected;
  if (info.error)
    st.counters.last_error = info.error;
  st.last_disconnect = info;
  if (st.connect_promise && st.connect_promise->pending())
    st.connect_promise->deliver(make_error(
        info.error ? info.error : failure{errc::closed, "closed before the upgrade completed"}));
  st.connect_promise.reset();
  for (auto& rp : st.close_promises)
    rp.deliver(info);
  st.close_promises.clear();
  if (st.handler)
    self->send(st.handler, disconnected_atom::value, std::move(info));
}

caf::result<disconnect_info> close_connection(self_pointer self, std::uint16_t code,
                                              std::string& reason) {
  auto& st = self->state;
  if (auto refusal = close_refusal(code, reason))
    return make_error(refusal);
  switch (st.state) {
  case connection_state::idle:
  case connection_state::disconnected:
    st.state = connection_state::closed;
    st.last_disconnect = disconnect_info{close_initiator::local, code, {}, {}, 0, false};
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
  return m;
}

connection_impl::behavior_type connection(self_pointer self, io_runtime* io,
                                          connection_config config, connection_handler handler) {
  self->state.io = io;
  self->state.config = std::move(config);
  self->state.handler = std::move(handler);
  return {
      // -- user interface --
      [=](caf::connect_atom) -> caf::result<upgrade_response> {
        auto& st = self->state;
        if (auto refusal = connect_refusal(st))
          return make_error(refusal);
        start_attempt(self, *parse_url(st.config.url).url);
        st.connect_promise = self->make_response_promise<upgrade_response>();
        return *st.connect_promise;
      },
      [=](send_atom, text_frame& f) { return send_frame(self, frame_kind::text, f.data); },
      [=](send_atom, binary_frame& f) { return send_frame(self, frame_kind::binary, f.data); },
      [=](caf::close_atom, std::uint16_t code, std::string& reason) {
        return close_connection(self, code, reason);
      },
      [=](caf::get_atom, state_atom) { return self->state.state; },
      [=](caf::get_atom, metrics_atom) { return metrics_of(self->state); },
      [=](caf::get_atom, upgrade_atom) { return self->state.last_upgrade; },
      // -- transport events --
      [=](ws_open_atom, std::uint64_t attempt, upgrade_response& response) {
        if (is_current(self, attempt))
          on_open(self, response);
      },
      [=](ws_message_atom, std::uint64_t attempt, frame_kind kind, std::string& payload) {
        auto& st = self->state;
        if (!is_current(self, attempt))
          return;
        ++st.counters.frames_in;
        st.counters.bytes_in += payload.size();
        if (!st.handler)
          return;
        if (kind == frame_kind::text)
          self->send(st.handler, text_frame{std::move(payload)});
        else
          self->send(st.handler, binary_frame{std::move(payload)});
      },
      [=](ws_ping_atom, std::uint64_t, std::string&) {
        // The transport has answered it. No heartbeat policy runs yet (the resilience issue
        // adds them); server_ping will count these.
      },
      [=](ws_pong_atom, std::uint64_t, std::string&) {
        // Nothing pings yet; the ping_pong heartbeat policy will match these to its pings.
      },
      [=](ws_closed_atom, std::uint64_t attempt, disconnect_info& info) {
        if (is_current(self, attempt))
          on_closed(self, info);
      },
  };
}

} // namespace

connection_actor spawn_connection(caf::actor_system& sys, io_runtime& io, connection_config config,
                                  caf::actor handler) {
  return spawn_connection(sys, io, std::move(config),
                          caf::actor_cast<connection_handler>(std::move(handler)));
}

connection_actor spawn_connection(caf::actor_system& sys, io_runtime& io, connection_config config,
                                  const connection_handler& handler) {
  return sys.spawn(connection, &io, std::move(config), handler);
}

} // namespace zenws
