#pragma once
// A minimal HTTP endpoint for Prometheus: GET /metrics answers with what `render` returns, in the
// text exposition format. One request per TCP connection, served on the endpoint's own thread,
// on 127.0.0.1 only (metrics are for a local scraper or an ssh tunnel, not the internet).

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace zenws::cli {

class metrics_endpoint {
public:
  /// Listens on 127.0.0.1:`port` (0 = a free port) before it returns.
  /// @throws boost::system::system_error when it cannot listen.
  metrics_endpoint(std::uint16_t port, std::function<std::string()> render);
  ~metrics_endpoint();
  metrics_endpoint(const metrics_endpoint&) = delete;
  metrics_endpoint& operator=(const metrics_endpoint&) = delete;

  std::uint16_t port() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace zenws::cli
