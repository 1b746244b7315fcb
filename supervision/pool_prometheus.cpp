#include "zenws/supervision/pool_prometheus.hpp"

#include <algorithm>

namespace zenws {

namespace {

void add_slot(prometheus_text& text, const prometheus_labels& labels, const slot_health& s) {
  const auto gauge = [&](const char* name, const char* help, double value) {
    text.add(name, "gauge", help, labels, value);
  };
  gauge("zenws_pool_slot_ready", "1 when the slot takes balanced requests", s.ready ? 1 : 0);
  gauge("zenws_pool_slot_score", "Health score 0-100 that routing compares", s.score);
  gauge("zenws_pool_slot_pending", "Balanced requests in flight on the slot",
        static_cast<double>(s.pending));
  gauge("zenws_pool_slot_errors", "Recent errors (decaying window)", s.errors);
  text.add("zenws_pool_slot_restarts_total", "counter",
           "Times the slot's connection actor was replaced", labels,
           static_cast<double>(s.restarts));
  gauge("zenws_pool_slot_subscriptions", "Channels restored into a replacement",
        static_cast<double>(s.subscriptions));
  gauge("zenws_pool_slot_p99_seconds", "p99 request round trip on the slot",
        static_cast<double>(s.p99.count()) / 1e6);
}

} // namespace

void add_pool_metrics(prometheus_text& text, const std::string& name, const pool_health& health) {
  const prometheus_labels pool{{"pool", name}};
  const auto ready = std::count_if(health.slots.begin(), health.slots.end(),
                                   [](const slot_health& s) { return s.ready; });
  text.add("zenws_pool_slots", "gauge", "Connections the pool supervises", pool,
           static_cast<double>(health.slots.size()));
  text.add("zenws_pool_ready_slots", "gauge", "Connections taking balanced requests", pool,
           static_cast<double>(ready));
  text.add("zenws_pool_restarts_total", "counter", "Connection restarts over the pool's life", pool,
           static_cast<double>(health.restarts));
  text.add("zenws_pool_recent_restarts", "gauge", "Restarts within the restart period", pool,
           health.recent_restarts);
  for (const auto& s : health.slots)
    add_slot(text, {{"pool", name}, {"slot", std::to_string(s.slot)}}, s);
}

} // namespace zenws
