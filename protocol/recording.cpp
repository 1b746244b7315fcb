#include "zenws/protocol/recording.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "zenws/protocol/base64.hpp"
#include "zenws/protocol/detail/json_parse.hpp"

namespace zenws {

namespace {

using std::chrono::microseconds;

// -- civil dates (proleptic Gregorian, days since 1970-01-01)
// --------------------------------------

std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct civil {
  std::int64_t y;
  unsigned m, d;
};

civil civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0), m, d};
}

bool leap(std::int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

unsigned days_in_month(std::int64_t y, unsigned m) {
  constexpr std::array<unsigned, 12> days = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : days[m - 1];
}

/// Reads exactly `n` digits at `pos`.
std::optional<unsigned> digits(std::string_view text, std::size_t pos, std::size_t n) {
  if (pos + n > text.size())
    return std::nullopt;
  unsigned value = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i])))
      return std::nullopt;
    value = value * 10 + static_cast<unsigned>(text[i] - '0');
  }
  return value;
}

// -- JSON helpers ---------------------------------------------------------------------------------

const char* to_text(record_dir d) {
  return d == record_dir::in ? "in" : "out";
}

const char* to_text(record_type t) {
  switch (t) {
  case record_type::text:
    return "text";
  case record_type::binary:
    return "binary";
  case record_type::close:
    return "close";
  }
  return "text";
}

std::string close_data(const record_entry& e) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w{buffer};
  w.StartObject();
  w.Key("code");
  w.Uint(e.close_code);
  w.Key("reason");
  w.String(e.close_reason.data(), static_cast<rapidjson::SizeType>(e.close_reason.size()));
  w.EndObject();
  return buffer.GetString();
}

parsed_line bad(std::string what) {
  return {std::nullopt, failure{errc::bad_json, "recording line: " + std::move(what), 0, 0}};
}

std::string_view view(const rapidjson::Value& v) {
  return {v.GetString(), v.GetStringLength()};
}

/// Bybit's auth op carries its key and signature as a bare list: {"op":"auth","args":[key,
/// expires, signature]}. Replaces the list's strings; true when it did.
bool redact_auth_args(rapidjson::Value& v) {
  const auto op = v.FindMember("op");
  const auto args = v.FindMember("args");
  if (op == v.MemberEnd() || !op->value.IsString() || view(op->value) != "auth" ||
      args == v.MemberEnd() || !args->value.IsArray())
    return false;
  bool changed = false;
  for (auto& element : args->value.GetArray())
    if (element.IsString()) {
      element.SetString(rapidjson::StringRef("[REDACTED]"));
      changed = true;
    }
  return changed;
}

/// Replaces the string values of secret fields below `v`; true when it replaced any.
bool redact(rapidjson::Value& v, rapidjson::Document::AllocatorType& alloc) {
  bool changed = false;
  if (v.IsObject()) {
    changed = redact_auth_args(v);
    for (auto& member : v.GetObject()) {
      if (member.value.IsString() && is_secret_field(view(member.name))) {
        member.value.SetString(rapidjson::StringRef("[REDACTED]")); // static: no copy
        changed = true;
      } else {
        changed = redact(member.value, alloc) || changed;
      }
    }
  } else if (v.IsArray()) {
    for (auto& element : v.GetArray())
      changed = redact(element, alloc) || changed;
  }
  return changed;
}

} // namespace

bool record_entry::operator==(const record_entry& other) const {
  return ts == other.ts && dir == other.dir && type == other.type && data == other.data &&
         close_code == other.close_code && close_reason == other.close_reason;
}

std::string format_timestamp(wall_time t) {
  const auto us = std::chrono::duration_cast<microseconds>(t.time_since_epoch()).count();
  constexpr std::int64_t per_day = 86'400'000'000;
  auto days = us / per_day;
  auto rest = us % per_day;
  if (rest < 0) {
    rest += per_day;
    --days;
  }
  const auto date = civil_from_days(days);
  const auto seconds = rest / 1'000'000;
  char out[40];
  std::snprintf(out, sizeof out, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%06lldZ",
                static_cast<long long>(date.y), date.m, date.d,
                static_cast<long long>(seconds / 3600), static_cast<long long>(seconds / 60 % 60),
                static_cast<long long>(seconds % 60), static_cast<long long>(rest % 1'000'000));
  return out;
}

std::optional<wall_time> parse_timestamp(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z
  const auto y = digits(text, 0, 4);
  const auto mo = digits(text, 5, 2);
  const auto d = digits(text, 8, 2);
  const auto h = digits(text, 11, 2);
  const auto mi = digits(text, 14, 2);
  const auto s = digits(text, 17, 2);
  if (!y || !mo || !d || !h || !mi || !s || text[4] != '-' || text[7] != '-' || text[10] != 'T' ||
      text[13] != ':' || text[16] != ':')
    return std::nullopt;
  // The clock counts nanoseconds in 64 bits: years past 2261 do not fit, and a recording
  // older than the Unix epoch is not one.
  if (*y < 1970 || *y > 2261)
    return std::nullopt;
  if (*mo < 1 || *mo > 12 || *d < 1 || *d > days_in_month(*y, *mo) || *h > 23 || *mi > 59 ||
      *s > 59)
    return std::nullopt;
  std::size_t pos = 19;
  std::int64_t nanos = 0;
  if (pos < text.size() && text[pos] == '.') {
    std::size_t n = 0;
    while (pos + 1 + n < text.size() && std::isdigit(static_cast<unsigned char>(text[pos + 1 + n])))
      ++n;
    if (n == 0 || n > 9)
      return std::nullopt;
    nanos = *digits(text, pos + 1, n);
    for (std::size_t i = n; i < 9; ++i)
      nanos *= 10;
    pos += 1 + n;
  }
  if (pos + 1 != text.size() || text[pos] != 'Z')
    return std::nullopt;
  const auto day_seconds =
      static_cast<std::int64_t>(*h) * 3600 + static_cast<std::int64_t>(*mi) * 60 + *s;
  const auto total = std::chrono::seconds{days_from_civil(*y, *mo, *d) * 86400 + day_seconds};
  return wall_time{std::chrono::duration_cast<wall_time::duration>(
      total + std::chrono::duration_cast<microseconds>(std::chrono::nanoseconds{nanos}))};
}

std::string to_jsonl(const record_entry& e) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w{buffer};
  const auto ts = format_timestamp(e.ts);
  const auto data = e.type == record_type::binary  ? base64_encode(e.data)
                    : e.type == record_type::close ? close_data(e)
                                                   : e.data;
  w.StartObject();
  w.Key("ts");
  w.String(ts.data(), static_cast<rapidjson::SizeType>(ts.size()));
  w.Key("dir");
  w.String(to_text(e.dir));
  w.Key("type");
  w.String(to_text(e.type));
  w.Key("data");
  w.String(data.data(), static_cast<rapidjson::SizeType>(data.size()));
  if (e.type == record_type::binary) {
    w.Key("binary");
    w.Bool(true);
  }
  w.EndObject();
  return buffer.GetString();
}

parsed_line parse_jsonl(std::string_view line) {
  rapidjson::Document doc;
  if (!zenws::detail::parse_json(doc, line) || !doc.IsObject())
    return bad("not a JSON object");
  auto string_member = [&](const char* name) -> std::optional<std::string_view> {
    auto it = doc.FindMember(name);
    if (it == doc.MemberEnd() || !it->value.IsString())
      return std::nullopt;
    return view(it->value);
  };
  record_entry e;
  const auto ts = string_member("ts");
  if (!ts)
    return bad("no \"ts\" string");
  const auto when = parse_timestamp(*ts);
  if (!when)
    return bad("invalid \"ts\": " + std::string{*ts});
  e.ts = *when;
  const auto dir = string_member("dir");
  if (!dir || (*dir != "in" && *dir != "out"))
    return bad("invalid \"dir\" (in or out)");
  e.dir = *dir == "in" ? record_dir::in : record_dir::out;
  const auto type = string_member("type");
  if (!type || (*type != "text" && *type != "binary" && *type != "close"))
    return bad("invalid \"type\" (text, binary or close)");
  const auto data = string_member("data");
  if (!data)
    return bad("no \"data\" string");
  if (*type == "text") {
    e.type = record_type::text;
    e.data = std::string{*data};
  } else if (*type == "binary") {
    e.type = record_type::binary;
    auto bytes = base64_decode(*data);
    if (!bytes)
      return bad("binary \"data\" is not base64");
    e.data = std::move(*bytes);
  } else {
    e.type = record_type::close;
    rapidjson::Document close;
    if (!zenws::detail::parse_json(close, *data) || !close.IsObject())
      return bad("close \"data\" is not a JSON object");
    const auto code = close.FindMember("code");
    if (code == close.MemberEnd() || !code->value.IsUint() || code->value.GetUint() > 0xFFFF)
      return bad("close \"data\" needs {\"code\":0-65535,\"reason\":...}");
    e.close_code = static_cast<std::uint16_t>(code->value.GetUint());
    if (const auto reason = close.FindMember("reason");
        reason != close.MemberEnd() && reason->value.IsString())
      e.close_reason = std::string{view(reason->value)};
  }
  return {std::move(e), {}};
}

bool is_secret_field(std::string_view name) {
  constexpr std::array<std::string_view, 10> secrets = {
      "access_token", "refresh_token", "client_secret", "signature", "sign",
      "password",     "passphrase",    "apikey",        "api_key",   "secret"};
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return std::find(secrets.begin(), secrets.end(), lower) != secrets.end();
}

std::string redact_secrets(std::string_view text) {
  rapidjson::Document doc;
  if (!zenws::detail::parse_json(doc, text) || !redact(doc, doc.GetAllocator()))
    return std::string{text};
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w{buffer};
  doc.Accept(w);
  return buffer.GetString();
}

recording_summary summarize(const std::vector<record_entry>& entries) {
  recording_summary s;
  for (const auto& e : entries) {
    ++s.count;
    ++(e.dir == record_dir::in ? s.inbound : s.outbound);
    if (!s.first || e.ts < *s.first)
      s.first = e.ts;
    if (!s.last || e.ts > *s.last)
      s.last = e.ts;
  }
  if (s.first)
    s.duration = std::chrono::duration_cast<std::chrono::milliseconds>(*s.last - *s.first);
  return s;
}

} // namespace zenws
