// The transport over plain TCP (ws://).
#include "zenws/actors/detail/session.hpp"
#include "zenws/actors/detail/session_factory.hpp"

namespace zenws::detail {

template class session<plain_stream>;

std::shared_ptr<transport> make_plain_session(io_runtime_impl& io,
                                              std::shared_ptr<const connection_config> config,
                                              const ws_url& url,
                                              std::shared_ptr<transport_events> events) {
  return std::make_shared<session<plain_stream>>(io, std::move(config), url, std::move(events),
                                                 nullptr);
}

} // namespace zenws::detail
