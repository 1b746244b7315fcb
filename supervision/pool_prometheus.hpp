#pragma once
/// @file
/// A pool's health in the Prometheus text format, next to its connections' metrics
/// (actors/prometheus_text.hpp).
///
/// @code
/// zenws::prometheus_text text;
/// zenws::add_pool_metrics(text, "desk", health); // a (get, health) reply of the pool
/// serve(text.str());
/// @endcode

#include <string>

#include "zenws/actors/prometheus_text.hpp"
#include "zenws/supervision/pool_actor.hpp"

namespace zenws {

/// The samples of one pool, labelled pool="name": zenws_pool_slots, zenws_pool_ready_slots,
/// zenws_pool_restarts_total, zenws_pool_recent_restarts, and per slot (labels pool and slot)
/// zenws_pool_slot_ready, zenws_pool_slot_score, zenws_pool_slot_pending,
/// zenws_pool_slot_errors, zenws_pool_slot_restarts_total, zenws_pool_slot_subscriptions and
/// zenws_pool_slot_p99_seconds.
void add_pool_metrics(prometheus_text& text, const std::string& name, const pool_health& health);

} // namespace zenws
