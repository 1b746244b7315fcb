// The JSONL recording format: timestamps, the three entry types, parse errors, secret redaction
// and the summary of a recording.

#include <doctest/doctest.h>

#include "zenws/protocol/recording.hpp"

using namespace std::chrono_literals;
using zenws::record_dir;
using zenws::record_entry;
using zenws::record_type;
using zenws::wall_time;

namespace {

// 2026-01-20T15:30:45.123456Z
const wall_time when{std::chrono::seconds{1768923045} + 123456us};

} // namespace

TEST_CASE("timestamps are ISO-8601 UTC with microseconds, both ways") {
  CHECK(zenws::format_timestamp(when) == "2026-01-20T15:30:45.123456Z");
  CHECK(zenws::format_timestamp(wall_time{}) == "1970-01-01T00:00:00.000000Z");
  CHECK(zenws::format_timestamp(wall_time{std::chrono::seconds{951782400}}) ==
        "2000-02-29T00:00:00.000000Z");
  CHECK(zenws::format_timestamp(wall_time{-1us}) == "1969-12-31T23:59:59.999999Z");
  CHECK(zenws::parse_timestamp("2026-01-20T15:30:45.123456Z") == when);
  CHECK(zenws::parse_timestamp("2026-01-20T15:30:45Z") == when - 123456us);
  CHECK(zenws::parse_timestamp("2026-01-20T15:30:45.1Z") == when - 23456us);
  CHECK(zenws::parse_timestamp("2026-01-20T15:30:45.123456789Z") == when); // below us dropped
  for (const char* bad :
       {"", "2026-01-20", "2026-01-20T15:30:45.123456", "2026-13-01T00:00:00Z",
        "2025-02-29T00:00:00Z", "2026-01-20 15:30:45Z", "2026-01-20T24:00:00Z",
        "2026-01-20T15:30:45.Z", "2026-01-20T15:30:45.1234567890Z", "2026-01-20T15:30:45ZZ",
        // outside what the system clock's nanoseconds hold (found by fuzz_recording: 1013
        // overflowed the conversion)
        "1013-01-20T15:30:45Z", "1969-12-31T23:59:59Z", "2262-01-01T00:00:00Z"})
    CHECK_MESSAGE(!zenws::parse_timestamp(bad), bad);
  CHECK(zenws::parse_timestamp("1970-01-01T00:00:00Z") == zenws::wall_time{});
  CHECK(zenws::parse_timestamp("2261-12-31T23:59:59.999999Z"));
}

TEST_CASE("entries are written as ZenWebsocket writes them") {
  record_entry text{when, record_dir::in, record_type::text, R"({"a":"b"})", 0, {}};
  CHECK(zenws::to_jsonl(text) ==
        R"({"ts":"2026-01-20T15:30:45.123456Z","dir":"in","type":"text","data":"{\"a\":\"b\"}"})");
  record_entry binary{when, record_dir::out, record_type::binary, std::string{"\0\1\2", 3}, 0, {}};
  CHECK(
      zenws::to_jsonl(binary) ==
      R"({"ts":"2026-01-20T15:30:45.123456Z","dir":"out","type":"binary","data":"AAEC","binary":true})");
  record_entry close{when, record_dir::in, record_type::close, {}, 1001, "going away"};
  CHECK(
      zenws::to_jsonl(close) ==
      R"({"ts":"2026-01-20T15:30:45.123456Z","dir":"in","type":"close","data":"{\"code\":1001,\"reason\":\"going away\"}"})");
}

TEST_CASE("every entry reads back as it was written") {
  const std::vector<record_entry> entries = {
      {when, record_dir::in, record_type::text, "h\xC3\xA9llo \"quoted\"\n", 0, {}},
      {when + 1ms, record_dir::out, record_type::binary, std::string{"\0\xFF\x10", 3}, 0, {}},
      {when + 2ms, record_dir::in, record_type::close, {}, 4001, "bye"}};
  for (const auto& e : entries) {
    const auto line = zenws::to_jsonl(e);
    const auto back = zenws::parse_jsonl(line);
    REQUIRE_MESSAGE(back.entry, line);
    CHECK(*back.entry == e);
  }
}

TEST_CASE("bad lines say what is wrong") {
  auto why = [](std::string_view line) { return zenws::parse_jsonl(line).error.detail; };
  auto has = [](const std::string& text, const char* part) {
    return text.find(part) != std::string::npos;
  };
  CHECK(zenws::parse_jsonl("not json").error.code == zenws::errc::bad_json);
  CHECK(has(why("[1]"), "not a JSON object"));
  CHECK(has(why(R"({"dir":"in","type":"text","data":""})"), "\"ts\""));
  CHECK(has(why(R"({"ts":"yesterday","dir":"in","type":"text","data":""})"), "invalid \"ts\""));
  CHECK(has(why(R"({"ts":"2026-01-20T15:30:45Z","dir":"up","type":"text","data":""})"), "\"dir\""));
  CHECK(
      has(why(R"({"ts":"2026-01-20T15:30:45Z","dir":"in","type":"ping","data":""})"), "\"type\""));
  CHECK(has(why(R"({"ts":"2026-01-20T15:30:45Z","dir":"in","type":"text"})"), "\"data\""));
  CHECK(has(why(R"({"ts":"2026-01-20T15:30:45Z","dir":"in","type":"binary","data":"%%"})"),
            "base64"));
  CHECK(has(why(R"({"ts":"2026-01-20T15:30:45Z","dir":"in","type":"close","data":"1000"})"),
            "close"));
}

TEST_CASE("secrets are redacted at any depth, other text is left byte for byte") {
  const auto auth =
      zenws::redact_secrets(R"({"jsonrpc":"2.0","id":1,"method":"public/auth","params":)"
                            R"({"grant_type":"client_credentials","client_id":"id",)"
                            R"("client_secret":"s3cr3t"}})");
  CHECK(auth.find("s3cr3t") == std::string::npos);
  CHECK(auth.find(R"("client_secret":"[REDACTED]")") != std::string::npos);
  CHECK(auth.find(R"("client_id":"id")") != std::string::npos);
  const auto tokens = zenws::redact_secrets(
      R"({"id":1,"result":{"access_token":"a1","refresh_token":"r1","expires_in":900}})");
  CHECK(tokens == R"({"id":1,"result":{"access_token":"[REDACTED]",)"
                  R"("refresh_token":"[REDACTED]","expires_in":900}})");
  const auto binance = zenws::redact_secrets(
      R"({"method":"order.place","params":[{"apiKey":"K","signature":"S","symbol":"BTCUSDT"}]})");
  CHECK(binance == R"({"method":"order.place","params":[{"apiKey":"[REDACTED]",)"
                   R"("signature":"[REDACTED]","symbol":"BTCUSDT"}]})");
  const auto okx = zenws::redact_secrets(
      R"({"id":"1","op":"login","args":[{"apiKey":"K","passphrase":"P","timestamp":"1",)"
      R"("sign":"S"}]})");
  CHECK(okx == R"({"id":"1","op":"login","args":[{"apiKey":"[REDACTED]",)"
               R"("passphrase":"[REDACTED]","timestamp":"1","sign":"[REDACTED]"}]})");
  const auto bybit =
      zenws::redact_secrets(R"({"req_id":"3","op":"auth","args":["K",1662350400000,"S"]})");
  CHECK(bybit == R"({"req_id":"3","op":"auth","args":["[REDACTED]",1662350400000,"[REDACTED]"]})");
  const std::string subscribe = R"({"req_id":"4","op":"subscribe","args":["orderbook.1.BTCUSDT"]})";
  CHECK(zenws::redact_secrets(subscribe) == subscribe);
  const std::string deep = R"({"password":"p","x":)" + std::string(200'000, '[');
  CHECK(zenws::redact_secrets(deep) == deep); // too deep to parse: not JSON, left as it is
  CHECK(zenws::parse_jsonl(deep).error.code == zenws::errc::bad_json);
  const std::string spaced = R"({ "id" : 1, "result" : "ok" })";
  CHECK(zenws::redact_secrets(spaced) == spaced); // nothing secret: untouched, spaces and all
  CHECK(zenws::redact_secrets("access_token=abc") == "access_token=abc"); // not JSON
  CHECK(zenws::is_secret_field("Client_Secret"));
  CHECK_FALSE(zenws::is_secret_field("client_id"));
}

TEST_CASE("a recording's summary: count, direction and duration") {
  const std::vector<record_entry> entries = {
      {when, record_dir::out, record_type::text, "a", 0, {}},
      {when + 250ms, record_dir::in, record_type::text, "b", 0, {}},
      {when + 1500ms, record_dir::in, record_type::close, {}, 1000, {}}};
  const auto s = zenws::summarize(entries);
  CHECK(s.count == 3);
  CHECK(s.inbound == 2);
  CHECK(s.outbound == 1);
  CHECK(s.first == when);
  CHECK(s.last == when + 1500ms);
  CHECK(s.duration == 1500ms);
  CHECK(zenws::summarize({}).count == 0);
}
