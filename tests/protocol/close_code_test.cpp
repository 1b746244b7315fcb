#include "zenws/protocol/close_code.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace zenws;

namespace {

struct boundary_row {
  std::uint16_t code;
  bool allowed;
  const char* name;
};

// Every edge of the ranges RFC 6455 7.4 allows on the wire, and the reserved codes between them.
const boundary_row boundaries[] = {
    {0, false, "unknown"},
    {999, false, "unknown"},
    {1000, true, "normal"},
    {1001, true, "going_away"},
    {1002, true, "protocol_error"},
    {1003, true, "unsupported_data"},
    {1004, false, "unknown"},
    {1005, false, "no_status"},
    {1006, false, "abnormal"},
    {1007, true, "invalid_payload"},
    {1008, true, "policy_violation"},
    {1009, true, "message_too_big"},
    {1010, true, "mandatory_extension"},
    {1011, true, "internal_error"},
    {1012, true, "service_restart"},
    {1013, true, "try_again_later"},
    {1014, true, "bad_gateway"},
    {1015, false, "tls_handshake"},
    {1016, false, "unknown"},
    {2999, false, "unknown"},
    {3000, true, "registered"},
    {3999, true, "registered"},
    {4000, true, "private"},
    {4999, true, "private"},
    {5000, false, "unknown"},
    {65535, false, "unknown"},
};

} // namespace

TEST_CASE("sendable close codes are 1000-1003, 1007-1014 and 3000-4999, at every boundary") {
  for (const auto& row : boundaries) {
    SUBCASE(std::to_string(row.code).c_str()) {
      CHECK(is_sendable(row.code) == row.allowed);
      CHECK(is_valid_received(row.code) == row.allowed);
    }
  }
}

TEST_CASE("close codes have their registered names, or private, registered or unknown") {
  for (const auto& row : boundaries) {
    CAPTURE(row.code);
    CHECK(name_of(row.code) == row.name);
  }
}

TEST_CASE("the named close codes carry their RFC 6455 values") {
  CHECK(static_cast<int>(close_code::normal) == 1000);
  CHECK(static_cast<int>(close_code::no_status) == 1005);
  CHECK(static_cast<int>(close_code::policy_violation) == 1008);
  CHECK(static_cast<int>(close_code::tls_handshake) == 1015);
  CHECK(max_close_reason_bytes == 123);
}
