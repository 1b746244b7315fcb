// The transport over TLS (wss://).
#include "zenws/actors/detail/session.hpp"
#include "zenws/actors/detail/session_factory.hpp"

namespace zenws::detail {

template class session<tls_stream>;

std::shared_ptr<transport>
make_tls_session(io_runtime_impl& io, std::shared_ptr<const connection_config> config,
                 const ws_url& url, std::shared_ptr<transport_events> events, failure& error) {
  auto context = client_tls_context(config->tls, error);
  if (!context)
    return nullptr;
  return std::make_shared<session<tls_stream>>(io, std::move(config), url, std::move(events),
                                               std::move(context));
}

} // namespace zenws::detail
