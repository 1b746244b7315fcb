// Prometheus text exposition: one HELP/TYPE per family, escaped labels, a connection's metrics.

#include <doctest/doctest.h>

#include "zenws/actors/prometheus_text.hpp"

using namespace std::chrono_literals;

TEST_CASE("families are written once, samples in order, label values escaped") {
  zenws::prometheus_text text;
  text.add("x_total", "counter", "things", {{"conn", "a"}}, 3);
  text.add("y", "gauge", "level", {}, 0.1);
  text.add("x_total", "counter", "ignored: the first help stays", {{"conn", "b\"\\\n"}}, 4);
  CHECK(text.str() == "# HELP x_total things\n"
                      "# TYPE x_total counter\n"
                      "x_total{conn=\"a\"} 3\n"
                      "x_total{conn=\"b\\\"\\\\\\n\"} 4\n"
                      "# HELP y level\n"
                      "# TYPE y gauge\n"
                      "y 0.1\n");
}

TEST_CASE("a connection's metrics, labelled with its name") {
  zenws::connection_metrics m;
  m.state = zenws::connection_state::connected;
  m.frames_in = 10;
  m.frames_out = 7;
  m.reconnects = 2;
  m.rate_limited = 1;
  m.latency.total = 5;
  m.latency.p50 = 1500us;
  m.latency.p99 = 2ms;
  zenws::prometheus_text text;
  zenws::add_connection_metrics(text, "deribit-1", m);
  zenws::add_connection_metrics(text, "deribit-2", zenws::connection_metrics{});
  const auto out = text.str();
  auto has = [&](const char* line) { return out.find(line) != std::string::npos; };
  CHECK(has("zenws_connection_up{connection=\"deribit-1\"} 1\n"));
  CHECK(has("zenws_connection_up{connection=\"deribit-2\"} 0\n"));
  CHECK(has("# TYPE zenws_frames_in_total counter\n"));
  CHECK(has("zenws_frames_in_total{connection=\"deribit-1\"} 10\n"));
  CHECK(has("zenws_reconnects_total{connection=\"deribit-1\"} 2\n"));
  CHECK(has("zenws_rate_limited_total{connection=\"deribit-1\"} 1\n"));
  CHECK(has("zenws_requests_total{connection=\"deribit-1\"} 5\n"));
  CHECK(has("zenws_request_latency_seconds{connection=\"deribit-1\",quantile=\"0.5\"} 0.0015\n"));
  CHECK(has("zenws_request_latency_seconds{connection=\"deribit-1\",quantile=\"0.99\"} 0.002\n"));
  // One HELP line per family, however many connections.
  std::size_t helps = 0;
  for (auto pos = out.find("# HELP zenws_frames_in_total"); pos != std::string::npos;
       pos = out.find("# HELP zenws_frames_in_total", pos + 1))
    ++helps;
  CHECK(helps == 1);
}
