#pragma once
// The two session instantiations, each compiled in its own translation unit (Beast is heavy).

#include <memory>

#include "zenws/actors/transport.hpp"

namespace zenws::detail {

struct io_runtime_impl;

std::shared_ptr<transport> make_plain_session(io_runtime_impl& io,
                                              std::shared_ptr<const connection_config> config,
                                              const ws_url& url,
                                              std::shared_ptr<transport_events> events);

/// Null with `error` set when the TLS context cannot be built (CA file, client certificate).
std::shared_ptr<transport>
make_tls_session(io_runtime_impl& io, std::shared_ptr<const connection_config> config,
                 const ws_url& url, std::shared_ptr<transport_events> events, failure& error);

} // namespace zenws::detail
