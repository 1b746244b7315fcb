#include "zenws/actors/detail/socket_errors.hpp"

#include <cstring>

#include <boost/asio/error.hpp>

namespace zenws::detail {

namespace aerr = boost::asio::error;

failure classify_socket_error(const boost::system::error_code& ec, const char* step,
                              const std::string& authority, bool via_proxy) {
  const std::string where = std::string(step) + " " + authority + ": " + ec.message();
  if (std::strcmp(step, "connect") == 0) {
    if (ec == aerr::connection_refused)
      return {via_proxy ? errc::proxy_failed : errc::connect_refused, where};
    return {errc::connect_failed, where};
  }
  if (ec == aerr::connection_reset)
    return {errc::connection_reset, where};
  if (ec == aerr::eof)
    return {errc::connection_lost,
            std::string(step) + " " + authority + ": the server closed TCP without a close frame"};
  return {errc::connection_lost, where};
}

} // namespace zenws::detail
