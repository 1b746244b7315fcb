#pragma once
/// @file
/// The recording format: one JSON object per line (JSONL), as ZenWebsocket writes it, so
/// recordings move between the two.
///
///     {"ts":"2026-01-20T15:30:45.123456Z","dir":"in","type":"text","data":"{\"jsonrpc\":...}"}
///     {"ts":"...","dir":"out","type":"binary","data":"AAEC","binary":true}
///     {"ts":"...","dir":"in","type":"close","data":"{\"code\":1000,\"reason\":\"bye\"}"}
///
/// `ts` is UTC with microseconds; binary data is base64; a close's data is a JSON string
/// holding its code and reason. Secrets are redacted before a line is made (redact_secrets).
/// Pure: RapidJSON stays inside recording.cpp.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "zenws/protocol/error.hpp"

namespace zenws {

using wall_time = std::chrono::system_clock::time_point;

enum class record_dir : std::uint8_t { in, out };
enum class record_type : std::uint8_t { text, binary, close };

/// One recorded frame.
struct record_entry {
  wall_time ts;
  record_dir dir = record_dir::in;
  record_type type = record_type::text;
  std::string data;             ///< text: the payload; binary: the raw bytes; close: unused
  std::uint16_t close_code = 0; ///< close only
  std::string close_reason;     ///< close only

  bool operator==(const record_entry& other) const;
};

/// "2026-01-20T15:30:45.123456Z": UTC, microseconds (finer digits are dropped).
std::string format_timestamp(wall_time t);

/// Parses format_timestamp's form; 0 to 9 fraction digits are accepted, years 1970 to 2261 (what
/// the system clock holds). nullopt when invalid.
std::optional<wall_time> parse_timestamp(std::string_view text);

/// The entry as one line, without the newline.
std::string to_jsonl(const record_entry& entry);

/// One parsed line: the entry, or a bad_json failure saying what is wrong with it.
struct parsed_line {
  std::optional<record_entry> entry;
  failure error;
};

parsed_line parse_jsonl(std::string_view line);

/// The JSON field names whose string values are secrets: access_token, refresh_token,
/// client_secret, signature, sign, password, passphrase, apiKey / api_key, secret
/// (case-insensitive).
bool is_secret_field(std::string_view name);

/// `text` with the value of every secret field replaced by "[REDACTED]", at any depth, when it
/// is JSON, and the strings of an auth op's args list (Bybit's {"op":"auth","args":[key,
/// expires, signature]}); unchanged (byte for byte) when it is not JSON or holds no secret.
std::string redact_secrets(std::string_view text);

/// What a recording holds.
struct recording_summary {
  std::uint64_t count = 0;    ///< entries
  std::uint64_t inbound = 0;  ///< dir "in"
  std::uint64_t outbound = 0; ///< dir "out"
  std::optional<wall_time> first;
  std::optional<wall_time> last;
  std::chrono::milliseconds duration{0}; ///< last - first
};

recording_summary summarize(const std::vector<record_entry>& entries);

} // namespace zenws
