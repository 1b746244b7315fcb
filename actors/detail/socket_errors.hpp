#pragma once
// Maps socket-level errors of a step (connect, read, write, ...) to zenws failures.

#include <string>

#include <boost/system/error_code.hpp>

#include "zenws/protocol/error.hpp"

namespace zenws::detail {

/// `step` names what failed ("connect", "read", ...); `authority` is host:port (never a path).
failure classify_socket_error(const boost::system::error_code& ec, const char* step,
                              const std::string& authority, bool via_proxy);

} // namespace zenws::detail
