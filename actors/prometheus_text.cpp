#include "zenws/actors/prometheus_text.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace zenws {

namespace {

std::string escape(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string number(double value) {
  if (std::isnan(value))
    return "NaN";
  if (std::isinf(value))
    return value > 0 ? "+Inf" : "-Inf";
  // The shortest of 15 or 17 significant digits that reads back exactly: 0.1, not
  // 0.10000000000000001.
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.15g", value);
  if (std::strtod(buf, nullptr) != value)
    std::snprintf(buf, sizeof buf, "%.17g", value);
  return buf;
}

double seconds(std::chrono::microseconds us) {
  return static_cast<double>(us.count()) / 1e6;
}

} // namespace

void prometheus_text::add(const std::string& name, const char* type, const char* help,
                          const prometheus_labels& labels, double value) {
  auto [it, fresh] = families_.try_emplace(name);
  if (fresh) {
    order_.push_back(name);
    it->second.type = type;
    it->second.help = help;
  }
  std::string sample = name;
  if (!labels.empty()) {
    sample += '{';
    for (std::size_t i = 0; i < labels.size(); ++i)
      sample += (i ? "," : "") + labels[i].first + "=\"" + escape(labels[i].second) + '"';
    sample += '}';
  }
  it->second.samples.push_back(sample + ' ' + number(value));
}

std::string prometheus_text::str() const {
  std::string out;
  for (const auto& name : order_) {
    const auto& f = families_.at(name);
    out += "# HELP " + name + ' ' + f.help + '\n';
    out += "# TYPE " + name + ' ' + f.type + '\n';
    for (const auto& s : f.samples)
      out += s + '\n';
  }
  return out;
}

void add_connection_metrics(prometheus_text& text, const std::string& name,
                            const connection_metrics& m) {
  const prometheus_labels l = {{"connection", name}};
  auto counter = [&](const char* metric, const char* help, std::uint64_t v) {
    text.add(metric, "counter", help, l, static_cast<double>(v));
  };
  auto gauge = [&](const char* metric, const char* help, double v) {
    text.add(metric, "gauge", help, l, v);
  };
  gauge("zenws_connection_up", "1 when the connection is connected and ready",
        m.state == connection_state::connected ? 1 : 0);
  counter("zenws_frames_in_total", "data frames received", m.frames_in);
  counter("zenws_frames_out_total", "data frames sent", m.frames_out);
  counter("zenws_bytes_in_total", "payload bytes received", m.bytes_in);
  counter("zenws_bytes_out_total", "payload bytes sent", m.bytes_out);
  counter("zenws_connects_total", "times the connection became ready", m.connects);
  counter("zenws_reconnects_total", "reconnect attempts planned", m.reconnects);
  gauge("zenws_pending_requests", "requests waiting for their responses",
        static_cast<double>(m.pending_requests));
  gauge("zenws_subscriptions", "confirmed channels", static_cast<double>(m.subscriptions));
  gauge("zenws_write_queue_depth", "frames queued for the socket",
        static_cast<double>(m.write_queue_depth));
  gauge("zenws_rate_limit_queued", "frames waiting for rate-limit tokens",
        static_cast<double>(m.rate_limit_queued));
  counter("zenws_rate_limited_total", "frames refused by the rate limiter", m.rate_limited);
  // Quantiles of a bounded ring, not a Prometheus summary (which needs a running sum): gauges.
  for (const auto& [q, v] : {std::pair{"0.5", m.latency.p50}, std::pair{"0.9", m.latency.p90},
                             std::pair{"0.99", m.latency.p99}})
    text.add("zenws_request_latency_seconds", "gauge",
             "request round trip quantiles over the last latency_buffer_size requests",
             {{"connection", name}, {"quantile", q}}, seconds(v));
  counter("zenws_requests_total", "requests answered with a response", m.latency.total);
}

} // namespace zenws
