#include "zenws/protocol/handshake.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

using namespace zenws;

namespace {

// RFC 6455 section 1.3's example.
constexpr std::string_view key = "dGhlIHNhbXBsZSBub25jZQ==";
constexpr std::string_view accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

upgrade_reply good_reply() {
  return {101,
          {{"Upgrade", "websocket"},
           {"Connection", "Upgrade"},
           {"Sec-WebSocket-Accept", std::string(accept)}}};
}

upgrade_reply with(upgrade_reply r, std::string name, std::string value) {
  r.headers.emplace_back(std::move(name), std::move(value));
  return r;
}

upgrade_reply without(upgrade_reply r, const std::string& name) {
  r.headers.erase(std::remove_if(r.headers.begin(), r.headers.end(),
                                 [&](const auto& h) { return h.first == name; }),
                  r.headers.end());
  return r;
}

upgrade_reply replaced(upgrade_reply r, const std::string& name, std::string value) {
  return with(without(std::move(r), name), name, std::move(value));
}

upgrade_reply with_status(unsigned status) {
  auto r = good_reply();
  r.status = status;
  return r;
}

upgrade_reply with_extension(std::string value) {
  return with(good_reply(), "Sec-WebSocket-Extensions", std::move(value));
}

compression_config deflate_offer() {
  compression_config c;
  c.enabled = true;
  return c;
}

} // namespace

TEST_CASE("the accept key is RFC 6455's example for its example key") {
  CHECK(expected_accept(key) == accept);
}

TEST_CASE("the WebSocket key is the base64 of the 16 random bytes") {
  const std::array<std::uint8_t, 16> nonce = {'t', 'h', 'e', ' ', 's', 'a', 'm', 'p',
                                              'l', 'e', ' ', 'n', 'o', 'n', 'c', 'e'};
  CHECK(make_websocket_key(nonce) == key);
  CHECK(make_websocket_key({}) == "AAAAAAAAAAAAAAAAAAAAAA==");
}

TEST_CASE("the extension offer lists the configured permessage-deflate parameters") {
  compression_config c;
  SUBCASE("compression off") {
    CHECK(make_extension_offer(c).empty());
  }
  SUBCASE("defaults") {
    c.enabled = true;
    CHECK(make_extension_offer(c) == "permessage-deflate; client_max_window_bits=15");
  }
  SUBCASE("everything") {
    c.enabled = true;
    c.client_max_window_bits = 10;
    c.server_max_window_bits = 9;
    c.client_no_context_takeover = true;
    c.server_no_context_takeover = true;
    CHECK(make_extension_offer(c) ==
          "permessage-deflate; client_max_window_bits=10; server_max_window_bits=9; "
          "client_no_context_takeover; server_no_context_takeover");
  }
}

TEST_CASE("header() finds the first header of a name, ignoring case") {
  const upgrade_reply r{101, {{"X-One", "1"}, {"x-two", "2"}, {"X-TWO", "3"}}};
  CHECK(r.header("x-one") == "1");
  CHECK(r.header("X-Two") == "2");
  CHECK(r.header("X-Three").empty());
}

TEST_CASE("a correct 101 opens the connection") {
  SUBCASE("as the RFC spells it") {
    const auto outcome = check_upgrade_reply(good_reply(), key, {}, {});
    CHECK_FALSE(outcome.error);
    CHECK(outcome.subprotocol.empty());
    CHECK_FALSE(outcome.compression);
  }
  SUBCASE("with header names and values in other cases and extra whitespace") {
    const upgrade_reply r{101,
                          {{"upgrade", " WebSocket "},
                           {"CONNECTION", "keep-alive,UPGRADE"},
                           {"sec-websocket-accept", std::string(accept) + " "}}};
    CHECK_FALSE(check_upgrade_reply(r, key, {}, {}).error);
  }
  SUBCASE("with the upgrade token in a second Connection header") {
    const auto r =
        with(replaced(good_reply(), "Connection", "keep-alive"), "Connection", "close, upgrade");
    CHECK_FALSE(check_upgrade_reply(r, key, {}, {}).error);
  }
  SUBCASE("without an extension although compression was offered") {
    const auto outcome = check_upgrade_reply(good_reply(), key, {}, deflate_offer());
    CHECK_FALSE(outcome.error);
    CHECK_FALSE(outcome.compression);
  }
}

TEST_CASE("the server's subprotocol and deflate parameters are taken") {
  auto offer = deflate_offer();
  offer.client_max_window_bits = 14;
  offer.client_no_context_takeover = true;
  const auto reply = with(with_extension("permessage-deflate; server_max_window_bits=\"10\"; "
                                         "client_max_window_bits=12; server_no_context_takeover"),
                          "Sec-WebSocket-Protocol", "jsonrpc");
  const auto outcome = check_upgrade_reply(reply, key, {"json.v1", "jsonrpc"}, offer);
  REQUIRE_FALSE(outcome.error);
  CHECK(outcome.subprotocol == "jsonrpc");
  CHECK(outcome.compression);
  CHECK(outcome.deflate.server_max_window_bits == 10);
  CHECK(outcome.deflate.client_max_window_bits == 12);
  CHECK(outcome.deflate.server_no_context_takeover);
  CHECK(outcome.deflate.client_no_context_takeover);
}

TEST_CASE("deflate parameters the server leaves out take their defaults") {
  SUBCASE("plain permessage-deflate") {
    const auto outcome =
        check_upgrade_reply(with_extension("permessage-deflate"), key, {}, deflate_offer());
    REQUIRE_FALSE(outcome.error);
    CHECK(outcome.compression);
    CHECK(outcome.deflate.server_max_window_bits == 15);
    CHECK(outcome.deflate.client_max_window_bits == 15);
    CHECK_FALSE(outcome.deflate.server_no_context_takeover);
    CHECK_FALSE(outcome.deflate.client_no_context_takeover);
  }
  SUBCASE("a client window above our offer keeps ours") {
    auto offer = deflate_offer();
    offer.client_max_window_bits = 10;
    const auto outcome = check_upgrade_reply(
        with_extension("permessage-deflate; client_max_window_bits=15"), key, {}, offer);
    REQUIRE_FALSE(outcome.error);
    CHECK(outcome.deflate.client_max_window_bits == 10);
  }
  SUBCASE("the server may demand client_no_context_takeover unasked") {
    const auto outcome = check_upgrade_reply(
        with_extension("PerMessage-Deflate;Client_No_Context_Takeover"), key, {}, deflate_offer());
    REQUIRE_FALSE(outcome.error);
    CHECK(outcome.deflate.client_no_context_takeover);
  }
  SUBCASE("window bits at the edges 8 and 15") {
    const auto outcome = check_upgrade_reply(
        with_extension("permessage-deflate; server_max_window_bits=8; client_max_window_bits=8"),
        key, {}, deflate_offer());
    REQUIRE_FALSE(outcome.error);
    CHECK(outcome.deflate.server_max_window_bits == 8);
    CHECK(outcome.deflate.client_max_window_bits == 8);
  }
}

TEST_CASE("a status other than 101 maps to its error") {
  struct row {
    unsigned status;
    errc code;
  };
  const row rows[] = {
      {429, errc::upgrade_rate_limited}, {400, errc::upgrade_rejected},
      {401, errc::upgrade_rejected},     {403, errc::upgrade_rejected},
      {404, errc::upgrade_rejected},     {499, errc::upgrade_rejected},
      {100, errc::upgrade_rejected},     {200, errc::upgrade_rejected},
      {302, errc::upgrade_rejected},     {500, errc::upgrade_unavailable},
      {502, errc::upgrade_unavailable},  {503, errc::upgrade_unavailable},
      {599, errc::upgrade_unavailable},
  };
  for (const auto& r : rows) {
    SUBCASE(std::to_string(r.status).c_str()) {
      const auto outcome = check_upgrade_reply(with_status(r.status), key, {}, {});
      CHECK(outcome.error.code == r.code);
      CHECK(outcome.error.http_status == r.status);
      CHECK(outcome.error.detail ==
            "server answered the upgrade with HTTP " + std::to_string(r.status));
    }
  }
}

TEST_CASE("each broken 101 response fails with what was wrong") {
  struct row {
    const char* name;
    upgrade_reply reply;
    std::vector<std::string> subprotocols;
    bool offer_deflate;
    errc code;
    std::string detail;
  };
  const auto bad = errc::bad_upgrade_response;
  const auto mismatch = errc::subprotocol_mismatch;
  const row rows[] = {
      {"no Upgrade", without(good_reply(), "Upgrade"), {}, false, bad, "Upgrade header missing"},
      {"Upgrade not websocket",
       replaced(good_reply(), "Upgrade", "h2c"),
       {},
       false,
       bad,
       "Upgrade header is not websocket"},
      {"no Connection",
       without(good_reply(), "Connection"),
       {},
       false,
       bad,
       "Connection header lacks the upgrade token"},
      {"Connection without upgrade",
       replaced(good_reply(), "Connection", "keep-alive, upgrades"),
       {},
       false,
       bad,
       "Connection header lacks the upgrade token"},
      {"no accept",
       without(good_reply(), "Sec-WebSocket-Accept"),
       {},
       false,
       bad,
       "Sec-WebSocket-Accept missing"},
      {"wrong accept",
       replaced(good_reply(), "Sec-WebSocket-Accept", "c2VjcmV0LWxvb2tpbmc="),
       {},
       false,
       bad,
       "Sec-WebSocket-Accept does not match the key"},
      {"a subprotocol none was offered for",
       with(good_reply(), "Sec-WebSocket-Protocol", "jsonrpc"),
       {},
       false,
       mismatch,
       "server chose a subprotocol but none was offered"},
      {"a subprotocol not offered",
       with(good_reply(), "Sec-WebSocket-Protocol", "mqtt"),
       {"jsonrpc"},
       false,
       mismatch,
       "server chose a subprotocol that was not offered"},
      {"a subprotocol differing in case",
       with(good_reply(), "Sec-WebSocket-Protocol", "JSONRPC"),
       {"jsonrpc"},
       false,
       mismatch,
       "server chose a subprotocol that was not offered"},
      {"two subprotocols in one header",
       with(good_reply(), "Sec-WebSocket-Protocol", "jsonrpc, json.v1"),
       {"jsonrpc", "json.v1"},
       false,
       mismatch,
       "server chose a subprotocol that was not offered"},
      {"two subprotocol headers",
       with(with(good_reply(), "Sec-WebSocket-Protocol", "jsonrpc"), "Sec-WebSocket-Protocol",
            "jsonrpc"),
       {"jsonrpc"},
       false,
       mismatch,
       "server chose a subprotocol that was not offered"},
      {"an extension when none was offered",
       with_extension("permessage-deflate"),
       {},
       false,
       bad,
       "Sec-WebSocket-Extensions names an extension that was not offered"},
      {"another extension",
       with_extension("x-webkit-deflate-frame"),
       {},
       true,
       bad,
       "Sec-WebSocket-Extensions names an extension that was not offered"},
      {"permessage-deflate twice",
       with_extension("permessage-deflate, permessage-deflate"),
       {},
       true,
       bad,
       "Sec-WebSocket-Extensions accepts permessage-deflate twice"},
      {"permessage-deflate twice in two headers",
       with(with_extension("permessage-deflate"), "Sec-WebSocket-Extensions", "permessage-deflate"),
       {},
       true,
       bad,
       "Sec-WebSocket-Extensions accepts permessage-deflate twice"},
      {"an unknown parameter",
       with_extension("permessage-deflate; api_key=s3cr3t"),
       {},
       true,
       bad,
       "unknown permessage-deflate parameter in Sec-WebSocket-Extensions"},
      {"a duplicate parameter",
       with_extension("permessage-deflate; server_no_context_takeover; "
                      "server_no_context_takeover"),
       {},
       true,
       bad,
       "permessage-deflate parameter server_no_context_takeover appears twice"},
      {"a duplicate window parameter",
       with_extension("permessage-deflate; server_max_window_bits=10; server_max_window_bits=11"),
       {},
       true,
       bad,
       "permessage-deflate parameter server_max_window_bits appears twice"},
      {"a flag with a value",
       with_extension("permessage-deflate; client_no_context_takeover=1"),
       {},
       true,
       bad,
       "permessage-deflate parameter client_no_context_takeover takes no value"},
      {"server_max_window_bits without a value",
       with_extension("permessage-deflate; server_max_window_bits"),
       {},
       true,
       bad,
       "permessage-deflate parameter server_max_window_bits needs a value of 8..15"},
      {"client_max_window_bits without a value",
       with_extension("permessage-deflate; client_max_window_bits"),
       {},
       true,
       bad,
       "permessage-deflate parameter client_max_window_bits needs a value of 8..15"},
      {"a window of 7",
       with_extension("permessage-deflate; server_max_window_bits=7"),
       {},
       true,
       bad,
       "permessage-deflate parameter server_max_window_bits needs a value of 8..15"},
      {"a window of 16",
       with_extension("permessage-deflate; client_max_window_bits=16"),
       {},
       true,
       bad,
       "permessage-deflate parameter client_max_window_bits needs a value of 8..15"},
      {"a window with a leading zero",
       with_extension("permessage-deflate; server_max_window_bits=09"),
       {},
       true,
       bad,
       "permessage-deflate parameter server_max_window_bits needs a value of 8..15"},
      {"a window that is not a number",
       with_extension("permessage-deflate; server_max_window_bits=1x"),
       {},
       true,
       bad,
       "permessage-deflate parameter server_max_window_bits needs a value of 8..15"},
  };
  for (const auto& r : rows) {
    SUBCASE(r.name) {
      auto offer = r.offer_deflate ? deflate_offer() : compression_config{};
      const auto outcome = check_upgrade_reply(r.reply, key, r.subprotocols, offer);
      CHECK(outcome.error.code == r.code);
      CHECK(outcome.error.detail == r.detail);
      CHECK(outcome.error.http_status == 101);
      CHECK(outcome.subprotocol.empty());
      CHECK_FALSE(outcome.compression);
    }
  }
}

TEST_CASE("a failure detail never repeats a header value") {
  const auto secret = "s3cr3t-token";
  const upgrade_reply replies[] = {
      replaced(good_reply(), "Sec-WebSocket-Accept", secret),
      replaced(good_reply(), "Upgrade", secret),
      with(good_reply(), "Sec-WebSocket-Protocol", secret),
      with_extension(secret),
      with_extension(std::string("permessage-deflate; ") + secret),
      with_extension(std::string("permessage-deflate; server_max_window_bits=") + secret),
  };
  for (const auto& reply : replies) {
    const auto outcome = check_upgrade_reply(reply, key, {"jsonrpc"}, deflate_offer());
    REQUIRE(outcome.error);
    CHECK(outcome.error.detail.find(secret) == std::string::npos);
  }
}
