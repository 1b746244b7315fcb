#include "zenws/protocol/error.hpp"

#include <doctest/doctest.h>

#include <ostream> // doctest prints std::error_code with the standard operator<<
#include <string>
#include <system_error>

using namespace zenws;

namespace {

constexpr bool fatal = true;
constexpr bool recoverable = false;

struct code_row {
  errc code;
  int value;
  const char* name;
  category cat;
  bool fatal;
};

// The test's own copy of the wire contract: values, names, categories and fatality. A change to
// any of them must be deliberate, so it has to be made twice.
const code_row all_codes[] = {
    {errc::resolve_failed, 1, "resolve_failed", category::network, recoverable},
    {errc::connect_refused, 2, "connect_refused", category::network, recoverable},
    {errc::connect_failed, 3, "connect_failed", category::network, recoverable},
    {errc::connect_timeout, 4, "connect_timeout", category::network, recoverable},
    {errc::connection_reset, 5, "connection_reset", category::network, recoverable},
    {errc::connection_lost, 6, "connection_lost", category::network, recoverable},
    {errc::not_connected, 7, "not_connected", category::network, recoverable},
    {errc::write_queue_full, 8, "write_queue_full", category::network, recoverable},
    {errc::proxy_failed, 9, "proxy_failed", category::network, recoverable},
    {errc::stale, 10, "stale", category::network, recoverable},
    {errc::tls_handshake_failed, 20, "tls_handshake_failed", category::tls, recoverable},
    {errc::tls_verify_failed, 21, "tls_verify_failed", category::tls, fatal},
    {errc::tls_hostname_mismatch, 22, "tls_hostname_mismatch", category::tls, fatal},
    {errc::tls_timeout, 23, "tls_timeout", category::tls, recoverable},
    {errc::tls_setup_failed, 24, "tls_setup_failed", category::tls, fatal},
    {errc::upgrade_rejected, 30, "upgrade_rejected", category::handshake, fatal},
    {errc::upgrade_timeout, 31, "upgrade_timeout", category::handshake, recoverable},
    {errc::bad_upgrade_response, 32, "bad_upgrade_response", category::handshake, fatal},
    {errc::subprotocol_mismatch, 33, "subprotocol_mismatch", category::handshake, fatal},
    {errc::upgrade_rate_limited, 34, "upgrade_rate_limited", category::handshake, recoverable},
    {errc::upgrade_unavailable, 35, "upgrade_unavailable", category::handshake, recoverable},
    {errc::message_too_big, 40, "message_too_big", category::protocol, recoverable},
    {errc::invalid_utf8, 41, "invalid_utf8", category::protocol, recoverable},
    {errc::protocol_violation, 42, "protocol_violation", category::protocol, recoverable},
    {errc::bad_close_code, 43, "bad_close_code", category::protocol, fatal},
    {errc::close_timeout, 44, "close_timeout", category::protocol, recoverable},
    {errc::bad_json, 45, "bad_json", category::protocol, recoverable},
    {errc::duplicate_request_id, 46, "duplicate_request_id", category::protocol, fatal},
    {errc::bad_close_reason, 47, "bad_close_reason", category::protocol, fatal},
    {errc::auth_failed, 60, "auth_failed", category::auth, fatal},
    {errc::token_expired, 61, "token_expired", category::auth, recoverable},
    {errc::forbidden, 62, "forbidden", category::auth, fatal},
    {errc::rate_limited, 70, "rate_limited", category::rate_limit, recoverable},
    {errc::venue_rate_limited, 71, "venue_rate_limited", category::rate_limit, recoverable},
    {errc::too_many_pending, 72, "too_many_pending", category::rate_limit, recoverable},
    {errc::server_error, 80, "server_error", category::application, recoverable},
    {errc::request_timeout, 81, "request_timeout", category::application, recoverable},
    {errc::disconnected, 82, "disconnected", category::application, recoverable},
    {errc::outcome_unknown, 83, "outcome_unknown", category::application, recoverable},
    {errc::invalid_config, 100, "invalid_config", category::internal, fatal},
    {errc::invalid_url, 101, "invalid_url", category::internal, fatal},
    {errc::invalid_state, 102, "invalid_state", category::internal, fatal},
    {errc::actor_down, 103, "actor_down", category::internal, recoverable},
    {errc::internal_error, 104, "internal_error", category::internal, fatal},
    {errc::closed, 105, "closed", category::internal, fatal},
    {errc::restart_intensity_exceeded, 106, "restart_intensity_exceeded", category::internal,
     fatal},
    {errc::bad_name, 107, "bad_name", category::internal, fatal},
    {errc::name_taken, 108, "name_taken", category::internal, fatal},
    {errc::name_unknown, 109, "name_unknown", category::internal, recoverable},
    {errc::name_type_mismatch, 110, "name_type_mismatch", category::internal, fatal},
    {errc::bad_channel, 111, "bad_channel", category::internal, fatal},
    {errc::bad_text, 112, "bad_text", category::internal, fatal},
    {errc::bad_params, 113, "bad_params", category::internal, fatal},
    {errc::no_connections, 11, "no_connections", category::network, recoverable},
    {errc::server_shutdown, 12, "server_shutdown", category::network, recoverable},
    {errc::node_unreachable, 13, "node_unreachable", category::network, recoverable},
};

failure make_failure(errc code, std::string detail = {}, std::uint16_t http_status = 0,
                     std::uint16_t close_code = 0) {
  failure f;
  f.code = code;
  f.detail = std::move(detail);
  f.http_status = http_status;
  f.close_code = close_code;
  return f;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

} // namespace

TEST_CASE("every code keeps its pinned value, name, category and fatality") {
  for (const auto& row : all_codes) {
    SUBCASE(row.name) {
      CHECK(static_cast<int>(row.code) == row.value);
      CHECK(std::string{to_string(row.code)} == row.name);
      CHECK(category_of(row.code) == row.cat);
      CHECK(is_fatal(row.code) == row.fatal);
    }
  }
}

TEST_CASE("every code explains what happened, including the detail, and what to do") {
  for (const auto& row : all_codes) {
    SUBCASE(row.name) {
      const auto text = explain(make_failure(row.code, "DETAIL-42"));
      CHECK(contains(text, "DETAIL-42"));
      // What happened, the detail, then at least one more sentence saying what to do.
      CHECK(text.find(". ", text.find("DETAIL-42")) != std::string::npos);
      CHECK(text.back() == '.');
      CHECK_FALSE(contains(text, "Unknown"));
    }
  }
}

TEST_CASE("explanations differ between codes, so each one is specific") {
  for (const auto& a : all_codes)
    for (const auto& b : all_codes)
      if (a.code != b.code) {
        CAPTURE(a.name);
        CAPTURE(b.name);
        CHECK(explain(make_failure(a.code)) != explain(make_failure(b.code)));
      }
}

TEST_CASE("a std::error_code compares equal to its category's condition and no other") {
  std::error_code ec = errc::tls_verify_failed;
  CHECK(ec == zenws::category::tls);
  CHECK(ec != zenws::category::network);
  CHECK(ec != zenws::category::handshake);
  CHECK(ec.value() == 21);
  CHECK(std::string{ec.category().name()} == "zenws");

  for (const auto& row : all_codes) {
    CAPTURE(row.name);
    const std::error_code code = row.code;
    CHECK(code == row.cat);
    CHECK(code.default_error_condition() == make_error_condition(row.cat));
  }
}

TEST_CASE("an error_code's message is the explanation without detail") {
  const std::error_code ec = errc::connect_timeout;
  CHECK(ec.message() == explain(make_failure(errc::connect_timeout)));
  CHECK(contains(ec.message(), "timeouts.connect"));
}

TEST_CASE("the condition category is named zenws.category and describes each category") {
  const std::error_condition cond = category::rate_limit;
  CHECK(std::string{cond.category().name()} == "zenws.category");
  CHECK(contains(cond.message(), "rate_limit"));
  CHECK(std::string{to_string(category::network)} == "network");
  CHECK(std::string{to_string(category::internal)} == "internal");
  CHECK(std::string{to_string(static_cast<category>(99))} == "unknown");
  CHECK(std::error_condition{99, condition_category()}.message() == "unknown category");
}

TEST_CASE("errc::none is success: a false error_code, no category, not fatal") {
  const std::error_code ec = errc::none;
  CHECK_FALSE(ec);
  CHECK_FALSE(ec.default_error_condition());
  CHECK(std::string{to_string(errc::none)} == "none");
  CHECK_FALSE(is_fatal(errc::none));
  CHECK_FALSE(static_cast<bool>(failure{}));
  CHECK(explain(failure{}) == "No error.");
}

TEST_CASE(
    "an unknown code value is named unknown, counts as internal and fatal, and never crashes") {
  const auto unknown = static_cast<errc>(200);
  CHECK(std::string{to_string(unknown)} == "unknown");
  CHECK(category_of(unknown) == category::internal);
  CHECK(is_fatal(unknown));
  CHECK(contains(explain(make_failure(unknown, "from node 7")), "from node 7"));
  CHECK_FALSE(std::error_code(-1, error_category()).message().empty());
  CHECK_FALSE(std::error_code(100000, error_category()).message().empty());
  CHECK(std::error_code(100000, error_category()) == category::internal);
}

TEST_CASE("upgrade_rejected names the HTTP status and points at credentials for 401 and 403") {
  for (const std::uint16_t status : {std::uint16_t{401}, std::uint16_t{403}}) {
    CAPTURE(status);
    const auto text = explain(make_failure(errc::upgrade_rejected, "Unauthorized", status));
    CHECK(contains(text, "HTTP " + std::to_string(status)));
    CHECK(contains(text, "credentials"));
    CHECK(contains(text, "headers"));
  }
  const auto not_found = explain(make_failure(errc::upgrade_rejected, "Not Found", 404));
  CHECK(contains(not_found, "HTTP 404"));
  CHECK(contains(not_found, "URL path"));
  CHECK_FALSE(contains(not_found, "credentials"));
}

TEST_CASE("proxy_failed with HTTP 407 points at the proxy credentials") {
  CHECK(contains(explain(make_failure(errc::proxy_failed, {}, 407)), "proxy.password"));
  CHECK_FALSE(contains(explain(make_failure(errc::proxy_failed, {}, 502)), "proxy.password"));
}

TEST_CASE("tls_verify_failed shows the OpenSSL reason and how to trust the server") {
  const auto text = explain(
      make_failure(errc::tls_verify_failed, "certificate verify failed (self-signed certificate)"));
  CHECK(contains(text, "not trusted: certificate verify failed (self-signed certificate). "));
  CHECK(contains(text, "tls.ca_file"));
  CHECK(contains(text, "tls.insecure"));
  CHECK(contains(text, "tests only"));
}

TEST_CASE("message_too_big is recoverable and names max_message_size") {
  CHECK_FALSE(is_fatal(errc::message_too_big));
  CHECK(
      contains(explain(make_failure(errc::message_too_big, "17000000 bytes")), "max_message_size"));
}

TEST_CASE("a failure's close code is shown with its registered name") {
  const auto text = explain(make_failure(errc::connection_lost, {}, 0, 1009));
  CHECK(contains(text, "close code 1009 message_too_big"));
}

TEST_CASE("a detail that ends with a period does not get a second one") {
  const auto text = explain(make_failure(errc::server_error, "Invalid params."));
  CHECK(contains(text, "Invalid params. "));
  CHECK_FALSE(contains(text, ".."));
}

TEST_CASE("token_expired is recoverable while auth_failed and forbidden are fatal") {
  CHECK_FALSE(is_fatal(errc::token_expired));
  CHECK(is_fatal(errc::auth_failed));
  CHECK(is_fatal(errc::forbidden));
}

TEST_CASE("network failures, timeouts and rate limits are recoverable") {
  for (const auto code :
       {errc::connect_refused, errc::connection_reset, errc::stale, errc::connect_timeout,
        errc::tls_timeout, errc::upgrade_timeout, errc::request_timeout, errc::close_timeout,
        errc::rate_limited, errc::venue_rate_limited, errc::upgrade_rate_limited}) {
    CAPTURE(to_string(code));
    CHECK_FALSE(is_fatal(code));
  }
}
