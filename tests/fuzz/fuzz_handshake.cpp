// The upgrade response check on arbitrary status lines and headers.
//
// Input: byte 0 is the status (0 stands for 101), byte 1 the offer (compression on/off, one or
// two subprotocols), then "Name: value" lines. Invariants: a response accepted is a 101 with
// the right accept key; the subprotocol chosen was offered; compression is on only when it was
// offered, with window bits in 8..15; a refusal has a failure code and keeps the HTTP status.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "zenws/protocol/handshake.hpp"

using namespace zenws;
using fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto rest = fuzz::text_of(data, size);
  const auto status_byte = fuzz::take_byte(rest);
  const auto offer = fuzz::take_byte(rest);

  upgrade_reply reply;
  reply.status = status_byte == 0 ? 101u : status_byte * 3u;
  while (!rest.empty()) {
    const auto line = fuzz::take_line(rest);
    const auto colon = line.find(':');
    if (colon == std::string_view::npos)
      continue;
    auto value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ')
      value.remove_prefix(1);
    reply.headers.emplace_back(std::string{line.substr(0, colon)}, std::string{value});
  }

  const std::string key = "dGhlIHNhbXBsZSBub25jZQ==";
  compression_config compression;
  compression.enabled = (offer & 1) != 0;
  compression.client_no_context_takeover = (offer & 2) != 0;
  std::vector<std::string> subprotocols;
  if ((offer & 4) != 0)
    subprotocols = {"json", "v2.example"};

  const auto outcome = check_upgrade_reply(reply, key, subprotocols, compression);
  if (!outcome.error) {
    check(reply.status == 101, "accepted a status other than 101");
    auto accept = reply.header("Sec-WebSocket-Accept"); // less HTTP's optional whitespace:
    while (!accept.empty() && (accept.back() == ' ' || accept.back() == '\t'))
      accept.remove_suffix(1);
    while (!accept.empty() && (accept.front() == ' ' || accept.front() == '\t'))
      accept.remove_prefix(1);
    check(accept == expected_accept(key), "accepted a wrong accept key");
    check(outcome.subprotocol.empty() || outcome.subprotocol == "json" ||
              outcome.subprotocol == "v2.example",
          "accepted a subprotocol that was not offered");
    check(!outcome.compression || compression.enabled, "compression on without an offer");
    if (outcome.compression) {
      const auto& p = outcome.deflate;
      check(p.client_max_window_bits >= 8 && p.client_max_window_bits <= 15 &&
                p.server_max_window_bits >= 8 && p.server_max_window_bits <= 15,
            "window bits outside 8..15");
    }
  } else if (reply.status != 101) {
    check(outcome.error.http_status == reply.status, "a refusal lost the HTTP status");
  }
  return 0;
}
