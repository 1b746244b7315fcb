#include "zenws/actors/blocking_connection.hpp"

#include <caf/actor_system.hpp>
#include <caf/after.hpp>
#include <caf/scoped_actor.hpp>

#include "zenws/actors/connection_actor.hpp"

namespace zenws {

namespace {

/// The value a result holds until a reply replaces it.
caf::error no_reply() {
  return make_error(failure{errc::internal_error, "no reply from the connection actor"});
}

} // namespace

struct blocking_connection::inbox {
  explicit inbox(caf::actor_system& sys) : self(sys) {}
  caf::scoped_actor self; // the connection's handler: events queue in its mailbox
};

blocking_connection::blocking_connection(caf::actor_system& sys, io_runtime& io,
                                         connection_config config,
                                         std::chrono::milliseconds reply_timeout)
    : inbox_(std::make_unique<inbox>(sys)),
      actor_(spawn_connection(sys, io, config, caf::actor_cast<caf::actor>(inbox_->self))),
      config_(std::move(config)), reply_timeout_(reply_timeout) {}

blocking_connection::~blocking_connection() {
  auto current = state();
  if (current &&
      (*current == connection_state::connected || *current == connection_state::connecting))
    close();
  inbox_->self->send_exit(actor_, caf::exit_reason::user_shutdown);
}

caf::expected<upgrade_response> blocking_connection::connect() {
  // The actor answers when the connection is ready or the policy gives up; with unlimited
  // retries that may be never, so only a finite ladder gets a bound.
  const auto ladder = worst_case_connect_time(config_);
  const caf::duration bound =
      ladder ? caf::duration{*ladder + reply_timeout_} : caf::duration{caf::infinite};
  caf::expected<upgrade_response> result{no_reply()};
  inbox_->self->request(actor_, bound, caf::connect_atom::value)
      .receive([&](upgrade_response& r) { result = std::move(r); },
               [&](caf::error& err) { result = std::move(err); });
  return result;
}

caf::expected<void> blocking_connection::send_text(std::string data) {
  caf::expected<void> result;
  inbox_->self->request(actor_, reply_timeout_, send_atom::value, text_frame{std::move(data)})
      .receive([] {}, [&](caf::error& err) { result = std::move(err); });
  return result;
}

caf::expected<void> blocking_connection::send_binary(std::string data) {
  caf::expected<void> result;
  inbox_->self->request(actor_, reply_timeout_, send_atom::value, binary_frame{std::move(data)})
      .receive([] {}, [&](caf::error& err) { result = std::move(err); });
  return result;
}

std::optional<event> blocking_connection::receive(std::chrono::milliseconds timeout) {
  std::optional<event> out;
  auto put = [&](event::type kind) -> event& {
    out.emplace();
    out->kind = kind;
    return *out;
  };
  inbox_->self->receive(
      [&](text_frame& f) { put(event::type::text).data = std::move(f.data); },
      [&](binary_frame& f) { put(event::type::binary).data = std::move(f.data); },
      [&](connected_atom, upgrade_response& r) {
        put(event::type::connected).upgrade = std::move(r);
      },
      [&](disconnected_atom, disconnect_info& d) {
        put(event::type::disconnected).disconnect = std::move(d);
      },
      [&](error_atom, failure& f) { put(event::type::error).error = std::move(f); },
      [&](unmatched_atom, text_frame& f) { put(event::type::unmatched).data = std::move(f.data); },
      [&](reconnecting_atom, reconnect_notice& n) {
        put(event::type::reconnecting).notice = std::move(n);
      },
      [&](gave_up_atom, give_up_info& g) { put(event::type::gave_up).gave_up = std::move(g); },
      [&](restored_atom, subscription_outcome& o) {
        put(event::type::restored).restored = std::move(o);
      },
      caf::after(timeout) >> [] {});
  return out;
}

caf::expected<disconnect_info> blocking_connection::close(std::uint16_t code, std::string reason) {
  const auto bound = config_.timeouts.close + reply_timeout_;
  caf::expected<disconnect_info> result{no_reply()};
  inbox_->self->request(actor_, bound, caf::close_atom::value, code, std::move(reason))
      .receive([&](disconnect_info& d) { result = std::move(d); },
               [&](caf::error& err) { result = std::move(err); });
  return result;
}

caf::expected<connection_state> blocking_connection::state() {
  caf::expected<connection_state> result{no_reply()};
  inbox_->self->request(actor_, reply_timeout_, caf::get_atom::value, state_atom::value)
      .receive([&](connection_state s) { result = s; },
               [&](caf::error& err) { result = std::move(err); });
  return result;
}

caf::expected<connection_metrics> blocking_connection::metrics() {
  caf::expected<connection_metrics> result{no_reply()};
  inbox_->self->request(actor_, reply_timeout_, caf::get_atom::value, metrics_atom::value)
      .receive([&](connection_metrics& m) { result = std::move(m); },
               [&](caf::error& err) { result = std::move(err); });
  return result;
}

} // namespace zenws
