#include "zenws/protocol/close_code.hpp"

namespace zenws {

bool is_sendable(std::uint16_t code) noexcept {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
         (code >= 3000 && code <= 4999);
}

bool is_valid_received(std::uint16_t code) noexcept {
  // RFC 6455 7.4.1 reserves 1005, 1006 and 1015 for reporting; a frame carrying one is as broken
  // as a frame carrying an unassigned code.
  return is_sendable(code);
}

std::string_view name_of(std::uint16_t code) noexcept {
  switch (static_cast<close_code>(code)) {
  case close_code::normal:
    return "normal";
  case close_code::going_away:
    return "going_away";
  case close_code::protocol_error:
    return "protocol_error";
  case close_code::unsupported_data:
    return "unsupported_data";
  case close_code::no_status:
    return "no_status";
  case close_code::abnormal:
    return "abnormal";
  case close_code::invalid_payload:
    return "invalid_payload";
  case close_code::policy_violation:
    return "policy_violation";
  case close_code::message_too_big:
    return "message_too_big";
  case close_code::mandatory_extension:
    return "mandatory_extension";
  case close_code::internal_error:
    return "internal_error";
  case close_code::service_restart:
    return "service_restart";
  case close_code::try_again_later:
    return "try_again_later";
  case close_code::bad_gateway:
    return "bad_gateway";
  case close_code::tls_handshake:
    return "tls_handshake";
  }
  if (code >= 4000 && code <= 4999)
    return "private";
  if (code >= 3000 && code <= 3999)
    return "registered";
  return "unknown";
}

} // namespace zenws
