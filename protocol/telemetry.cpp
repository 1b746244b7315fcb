#include "zenws/protocol/telemetry.hpp"

namespace zenws {

const char* telemetry_name(telemetry_kind kind) noexcept {
  switch (kind) {
  case telemetry_kind::connect_attempt:
    return "zenws.connection.connect_attempt";
  case telemetry_kind::upgraded:
    return "zenws.connection.upgraded";
  case telemetry_kind::ready:
    return "zenws.connection.ready";
  case telemetry_kind::disconnected:
    return "zenws.connection.disconnected";
  case telemetry_kind::reconnect_planned:
    return "zenws.connection.reconnect_planned";
  case telemetry_kind::gave_up:
    return "zenws.connection.gave_up";
  case telemetry_kind::heartbeat_sent:
    return "zenws.heartbeat.sent";
  case telemetry_kind::heartbeat_answered:
    return "zenws.heartbeat.answered";
  case telemetry_kind::heartbeat_missed:
    return "zenws.heartbeat.missed";
  case telemetry_kind::request_tracked:
    return "zenws.request.tracked";
  case telemetry_kind::request_resolved:
    return "zenws.request.resolved";
  case telemetry_kind::request_timed_out:
    return "zenws.request.timed_out";
  case telemetry_kind::request_failed:
    return "zenws.request.failed";
  case telemetry_kind::subscription_added:
    return "zenws.subscription.added";
  case telemetry_kind::subscription_removed:
    return "zenws.subscription.removed";
  case telemetry_kind::subscriptions_restored:
    return "zenws.subscription.restored";
  case telemetry_kind::rate_limit_consumed:
    return "zenws.rate_limit.consumed";
  case telemetry_kind::rate_limit_queued:
    return "zenws.rate_limit.queued";
  case telemetry_kind::pressure_changed:
    return "zenws.rate_limit.pressure_changed";
  case telemetry_kind::rate_limit_rejected:
    return "zenws.rate_limit.rejected";
  case telemetry_kind::pool_routed:
    return "zenws.pool.routed";
  case telemetry_kind::pool_failover:
    return "zenws.pool.failover";
  case telemetry_kind::pool_restart:
    return "zenws.pool.restart";
  }
  return "zenws.unknown";
}

} // namespace zenws
