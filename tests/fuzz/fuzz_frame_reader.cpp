// The frame reader on arbitrary server bytes.
//
// Input: byte 0 picks max_message_size, byte 1 seeds how the rest is cut into reads, the rest
// is what the server sent. Invariants:
// - the events do not depend on how the bytes were cut (whole vs. reads of 1..64 bytes);
// - text messages and close reasons are valid UTF-8 (checked by an independent decoder here);
// - messages fit max_message_size, control payloads fit 125 bytes, close codes are receivable;
// - after an error nothing else comes out, and every byte before it was consumed.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "reference_utf8.hpp"
#include "zenws/protocol/close_code.hpp"
#include "zenws/protocol/frame_reader.hpp"

using namespace zenws;
using fuzz::check;

namespace {

struct outcome {
  std::vector<std::string> events; // one line per event; errors without their detail text
  std::size_t consumed = 0;
  bool failed = false;
};

std::string line_of(const read_event& ev) {
  auto type = std::to_string(static_cast<int>(ev.what));
  switch (ev.what) {
  case read_event::type::message:
    return type + ":" + std::to_string(static_cast<int>(ev.kind)) + ":" + ev.payload;
  case read_event::type::ping:
  case read_event::type::pong:
    return type + ":" + ev.payload;
  case read_event::type::close:
    return type + ":" + std::to_string(ev.close_code) + ":" + ev.close_reason;
  case read_event::type::error:
    return type + ":" + to_string(ev.error.code) + ":" + std::to_string(ev.error.close_code);
  case read_event::type::none:
    break;
  }
  return type;
}

void check_event(const read_event& ev, std::size_t max_message_size) {
  switch (ev.what) {
  case read_event::type::message:
    check(ev.payload.size() <= max_message_size, "message over max_message_size");
    if (ev.kind == frame_kind::text)
      check(test::reference_utf8(ev.payload), "text message is not UTF-8");
    break;
  case read_event::type::ping:
  case read_event::type::pong:
    check(ev.payload.size() <= 125, "control payload over 125 bytes");
    break;
  case read_event::type::close:
    check(ev.close_code == 1005 || is_valid_received(ev.close_code), "close code not receivable");
    check(ev.close_reason.size() <= 123, "close reason over 123 bytes");
    check(test::reference_utf8(ev.close_reason), "close reason is not UTF-8");
    break;
  case read_event::type::error:
    check(ev.error.close_code != 0, "an error without a close code to fail with");
    break;
  case read_event::type::none:
    break;
  }
}

/// Feeds `bytes` in reads whose sizes come from `seed` (0 = all at once).
outcome run(std::string_view bytes, std::size_t max_message_size, std::uint8_t seed) {
  frame_reader reader{{max_message_size, nullptr}};
  outcome out;
  std::uint32_t state = seed;
  while (!bytes.empty() && !out.failed) {
    std::size_t cut = bytes.size();
    if (seed != 0) {
      state = state * 1103515245u + 12345u;
      cut = std::min<std::size_t>(bytes.size(), 1 + (state >> 16) % 64);
    }
    auto read = bytes.substr(0, cut);
    bytes.remove_prefix(cut);
    for (;;) {
      read_event ev;
      const auto used = reader.parse(read, ev);
      check(used <= read.size(), "consumed more than it was given");
      read.remove_prefix(used);
      out.consumed += used;
      if (ev.what == read_event::type::none) {
        check(read.empty(), "asked for more bytes while some were left");
        break;
      }
      check_event(ev, max_message_size);
      out.events.push_back(line_of(ev));
      if (ev.what == read_event::type::error) {
        check(reader.failed(), "an error event but failed() is false");
        read_event again;
        check(reader.parse(read, again) == 0, "consumed bytes after an error");
        check(again.what == read_event::type::error, "no error again after an error");
        out.failed = true;
        break;
      }
    }
  }
  return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2)
    return 0;
  constexpr std::size_t limits[] = {1, 125, 1000, std::size_t{1} << 16};
  const auto max_message_size = limits[data[0] % 4];
  const auto seed = static_cast<std::uint8_t>(data[1] | 1);
  const auto bytes = fuzz::text_of(data + 2, size - 2);

  const auto whole = run(bytes, max_message_size, 0);
  const auto pieces = run(bytes, max_message_size, seed);
  check(whole.events == pieces.events, "events depend on how the bytes were cut");
  check(whole.failed == pieces.failed, "an error depends on how the bytes were cut");
  if (!whole.failed)
    check(whole.consumed == bytes.size() && pieces.consumed == bytes.size(),
          "bytes left unconsumed without an error");
  return 0;
}
