#pragma once
/// @file
/// Metrics in the Prometheus text exposition format (version 0.0.4): a small writer that groups
/// samples by metric family (one HELP and TYPE line each), and the samples of a connection.
///
/// @code
/// zenws::prometheus_text text;
/// zenws::add_connection_metrics(text, "deribit-1", metrics); // a connection_metrics reply
/// serve(text.str());                                           // e.g. GET /metrics
/// @endcode

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "zenws/actors/connection_protocol.hpp"

namespace zenws {

using prometheus_labels = std::vector<std::pair<std::string, std::string>>;

class prometheus_text {
public:
  /// Adds a sample of family `name` ("counter" or "gauge"; the first sample of a family fixes
  /// its type and help). Label values are escaped as the format requires.
  void add(const std::string& name, const char* type, const char* help,
           const prometheus_labels& labels, double value);

  /// The exposition text, families in the order they were first added.
  std::string str() const;

private:
  struct family {
    std::string type;
    std::string help;
    std::vector<std::string> samples;
  };
  std::vector<std::string> order_;
  std::map<std::string, family> families_;
};

/// The samples of one connection, labelled connection="name": zenws_connection_up,
/// zenws_frames_in_total, zenws_frames_out_total, zenws_bytes_in_total, zenws_bytes_out_total,
/// zenws_connects_total, zenws_reconnects_total, zenws_pending_requests, zenws_subscriptions,
/// zenws_write_queue_depth, zenws_rate_limit_queued, zenws_rate_limited_total,
/// zenws_requests_total, and zenws_request_latency_seconds (gauges labelled quantile 0.5, 0.9
/// and 0.99 of the latency ring).
void add_connection_metrics(prometheus_text& text, const std::string& name,
                            const connection_metrics& m);

} // namespace zenws
