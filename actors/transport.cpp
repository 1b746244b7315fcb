#include "zenws/actors/transport.hpp"

#include <strings.h>

#include <boost/asio/post.hpp>

#include "zenws/actors/detail/io_runtime_impl.hpp"
#include "zenws/actors/detail/session_factory.hpp"
#include "zenws/actors/io_runtime.hpp"

namespace zenws {

namespace {

/// A transport that could not be built (its TLS context failed to load): start() reports the
/// failure through on_closed, like every other failure.
class failed_transport final : public transport,
                               public std::enable_shared_from_this<failed_transport> {
public:
  failed_transport(detail::io_runtime_impl& io, failure error,
                   std::shared_ptr<transport_events> events)
      : io_(io), error_(std::move(error)), events_(std::move(events)) {}

  void start() override {
    boost::asio::post(io_.context, [self = shared_from_this()] {
      if (auto events = std::move(self->events_)) {
        disconnect_info info;
        info.error = self->error_;
        events->on_closed(std::move(info));
      }
    });
  }
  errc send(frame_kind, std::string) override { return errc::not_connected; }
  errc send_urgent(frame_kind, std::string) override { return errc::not_connected; }
  void ping(std::string) override {}
  void close(std::uint16_t, std::string) override {}
  void abort() override {
    boost::asio::post(io_.context, [self = shared_from_this()] { self->events_.reset(); });
  }
  std::size_t queue_depth() const noexcept override { return 0; }

private:
  detail::io_runtime_impl& io_;
  failure error_;
  std::shared_ptr<transport_events> events_;
};

} // namespace

std::string upgrade_response::header(const std::string& name) const {
  for (const auto& [key, value] : headers)
    if (strcasecmp(key.c_str(), name.c_str()) == 0)
      return value;
  return {};
}

std::shared_ptr<transport> transport::create(io_runtime& io,
                                             std::shared_ptr<const connection_config> config,
                                             const ws_url& url,
                                             std::shared_ptr<transport_events> events) {
  if (!url.secure)
    return detail::make_plain_session(io.impl(), std::move(config), url, std::move(events));
  failure error;
  if (auto session = detail::make_tls_session(io.impl(), std::move(config), url, events, error))
    return session;
  return std::make_shared<failed_transport>(io.impl(), std::move(error), std::move(events));
}

std::shared_ptr<transport> transport::create(io_runtime& io, const connection_config& config,
                                             const ws_url& url,
                                             std::shared_ptr<transport_events> events) {
  return create(io, std::make_shared<const connection_config>(config), url, std::move(events));
}

} // namespace zenws
