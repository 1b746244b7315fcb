#include "zenws/actors/runtime.hpp"

#include <string>

#include <caf/atom.hpp>
#include <caf/message.hpp>

#include "zenws/actors/connection_protocol.hpp"
#include "zenws/actors/replay.hpp"

namespace zenws {

namespace {

std::string render_error(std::uint8_t code, caf::atom_value, const caf::message& context) {
  failure f;
  f.code = static_cast<errc>(code);
  if (context.match_elements<std::string, std::uint16_t, std::uint16_t>())
    f.detail = context.get_as<std::string>(0);
  return std::string("zenws.") + to_string(f.code) + ": " + explain(f);
}

} // namespace

void register_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<failure>("zenws.failure");
  cfg.add_message_type<text_frame>("zenws.text_frame");
  cfg.add_message_type<binary_frame>("zenws.binary_frame");
  cfg.add_message_type<message_batch>("zenws.message_batch");
  cfg.add_message_type<upgrade_response>("zenws.upgrade_response");
  cfg.add_message_type<disconnect_info>("zenws.disconnect_info");
  cfg.add_message_type<connection_metrics>("zenws.connection_metrics");
  cfg.add_message_type<connection_state>("zenws.connection_state");
  cfg.add_message_type<frame_kind>("zenws.frame_kind");
  cfg.add_message_type<rpc_response>("zenws.rpc_response");
  cfg.add_message_type<reconnect_notice>("zenws.reconnect_notice");
  cfg.add_message_type<give_up_info>("zenws.give_up_info");
  cfg.add_message_type<subscription_outcome>("zenws.subscription_outcome");
  cfg.add_message_type<heartbeat_health>("zenws.heartbeat_health");
  cfg.add_message_type<latency_summary>("zenws.latency_summary");
  cfg.add_message_type<pressure>("zenws.pressure");
  cfg.add_message_type<replay_report>("zenws.replay_report");
  cfg.add_error_category(error_category_atom, render_error);
}

void apply_recommended_settings(caf::actor_system_config& cfg, std::size_t workers) {
  cfg.set("scheduler.policy", caf::atom("stealing"));
  cfg.set("scheduler.max-threads", workers == 0 ? std::size_t{1} : workers);
  cfg.set("scheduler.max-throughput", std::size_t{300});
  cfg.set("work-stealing.moderate-poll-attempts", std::size_t{0});
}

actor_system_config::actor_system_config(std::size_t workers) {
  register_types(*this);
  apply_recommended_settings(*this, workers);
}

} // namespace zenws
