// The JSONL recording format and secret redaction on arbitrary lines.
//
// Invariants: a line that parses writes back to a line that parses to the same line again;
// timestamps round-trip; after redact_secrets() no secret field of a JSON text keeps its value
// (checked by walking the redacted document here), and redaction is idempotent.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "fuzz_check.hpp"
#include "zenws/protocol/detail/json_parse.hpp"
#include "zenws/protocol/recording.hpp"

using namespace zenws;
using fuzz::check;

namespace {

bool no_secret_left(const rapidjson::Value& v) {
  if (v.IsObject()) {
    for (const auto& member : v.GetObject()) {
      const std::string_view name{member.name.GetString(), member.name.GetStringLength()};
      if (member.value.IsString() && is_secret_field(name) &&
          std::string_view{member.value.GetString(), member.value.GetStringLength()} !=
              "[REDACTED]")
        return false;
      if (!no_secret_left(member.value))
        return false;
    }
  } else if (v.IsArray()) {
    for (const auto& element : v.GetArray())
      if (!no_secret_left(element))
        return false;
  }
  return true;
}

void check_line(std::string_view line) {
  const auto parsed = parse_jsonl(line);
  check(parsed.entry.has_value() != static_cast<bool>(parsed.error),
        "parse_jsonl: entry and error both set or both empty");
  if (!parsed.entry)
    return;
  const auto written = to_jsonl(*parsed.entry);
  const auto again = parse_jsonl(written);
  check(again.entry.has_value(), "parse_jsonl: a written entry does not parse");
  check(to_jsonl(*again.entry) == written, "to_jsonl(parse_jsonl(line)) is not stable");
}

void check_timestamp(std::string_view text) {
  const auto t = parse_timestamp(text);
  if (!t)
    return;
  const auto formatted = format_timestamp(*t);
  const auto again = parse_timestamp(formatted);
  check(again && format_timestamp(*again) == formatted, "timestamps do not round-trip");
}

void check_redaction(std::string_view text) {
  const auto redacted = redact_secrets(text);
  rapidjson::Document doc;
  if (!detail::parse_json(doc, text)) { // not JSON, or too deep to parse
    check(redacted == text, "redact_secrets changed a text it cannot parse");
    return;
  }
  rapidjson::Document out;
  check(detail::parse_json(out, redacted), "redact_secrets made invalid JSON of valid JSON");
  check(no_secret_left(out), "a secret field kept its value");
  check(redact_secrets(redacted) == redacted, "redact_secrets is not idempotent");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = fuzz::text_of(data, size);
  check_line(text);
  check_timestamp(text);
  check_redaction(text);
  return 0;
}
