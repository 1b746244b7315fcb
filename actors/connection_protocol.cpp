#include "zenws/actors/connection_protocol.hpp"

#include <caf/message.hpp>
#include <caf/sec.hpp>

namespace zenws {

caf::error make_error(const failure& f) {
  return caf::error{static_cast<std::uint8_t>(f.code), error_category_atom,
                    caf::make_message(f.detail, f.http_status, f.close_code)};
}

failure to_failure(const caf::error& err) {
  if (!err)
    return {};
  if (err.category() == error_category_atom) {
    failure f;
    f.code = static_cast<errc>(err.code());
    const auto& ctx = err.context();
    if (ctx.match_elements<std::string, std::uint16_t, std::uint16_t>()) {
      f.detail = ctx.get_as<std::string>(0);
      f.http_status = ctx.get_as<std::uint16_t>(1);
      f.close_code = ctx.get_as<std::uint16_t>(2);
    }
    return f;
  }
  if (err.category() == caf::atom("system")) {
    switch (static_cast<caf::sec>(err.code())) {
    case caf::sec::request_timeout:
      return {errc::request_timeout, "no reply from the actor in time"};
    case caf::sec::request_receiver_down:
      return {errc::actor_down, "the actor is gone"};
    default:
      break;
    }
  }
  return {errc::internal_error, "unexpected error: " + caf::to_string(err)};
}

std::string explain(const caf::error& err) {
  return explain(to_failure(err));
}

} // namespace zenws
