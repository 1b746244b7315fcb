// JSON-RPC classification of arbitrary text frames.
//
// Invariants: classify() returns only its own verdicts; a response's result is JSON text again;
// an error answer maps to a failure; string_array() and json_string_list() round-trip; params
// that pass check_params() build a request that classifies as that request.

#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_check.hpp"
#include "zenws/protocol/json_rpc.hpp"
#include "zenws/protocol/wire_dialect.hpp"

using namespace zenws;
using fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = fuzz::text_of(data, size);

  const auto m = json_rpc::classify(text);
  check(m.what != json_rpc::kind::partial && m.what != json_rpc::kind::shutdown,
        "classify() returned a dialect verdict");
  if (m.what == json_rpc::kind::response)
    check(json_rpc::classify(m.result).what != json_rpc::kind::not_json,
          "a response's result is not JSON");
  if (m.what == json_rpc::kind::error)
    check(static_cast<bool>(json_rpc::to_failure(m)), "an error answer maps to no failure");

  if (const auto strings = json_rpc::string_array(text)) {
    const auto again = json_rpc::string_array(json_string_list(*strings));
    check(again && *again == *strings, "string_array(json_string_list(x)) != x");
  }

  if (!json_rpc::check_params(text)) {
    const auto request = json_rpc::build_request(42, "public/fuzz", text);
    const auto built = json_rpc::classify(request);
    check(built.what == json_rpc::kind::request && built.id == 42 && built.method == "public/fuzz",
          "a request built from accepted params does not read back as that request");
  }
  return 0;
}
