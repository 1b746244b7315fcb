#pragma once
/// @file
/// JSON-RPC 2.0 as venues speak it: building requests, and classifying what arrives in one parse.
///
/// Classification is lenient on purpose: Binance answers `{"result":null,"id":1}` without the
/// "jsonrpc" member and reports errors as `{"code":..,"msg":..}`; both count. RapidJSON stays
/// inside json_rpc.cpp, so this header is cheap to include.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "zenws/protocol/error.hpp"

namespace zenws::json_rpc {

/// Request ids are assigned by the connection actor: positive, increasing integers.
using request_id = std::int64_t;

/// Empty when `params` can be a request's params: "" (omitted), or the UTF-8 JSON text of one
/// object or one array, without NUL bytes. Otherwise a bad_json failure saying what is wrong.
failure check_params(std::string_view params);

/// `{"jsonrpc":"2.0","id":<id>,"method":<method>,"params":<params>}`; params "" omits the member,
/// and `jsonrpc_member` false omits "jsonrpc" (Binance's stream control messages). `params` is
/// copied verbatim, so check it first (check_params). The method is JSON-escaped.
std::string build_request(request_id id, std::string_view method, std::string_view params,
                          bool jsonrpc_member = true);

/// What one incoming text frame is.
enum class kind : std::uint8_t {
  not_json,     ///< not parseable as JSON
  other,        ///< JSON, but none of the below (market data of non-JSON-RPC venues, events)
  response,     ///< has an id and a result
  error,        ///< has an id (possibly null) and an error
  notification, ///< has a method and no id (subscriptions, heartbeats)
  request,      ///< has a method and an id: the server asks something of us
  // Verdicts of venue dialects (wire_dialect.hpp); classify() never returns them.
  partial,  ///< one acknowledgement of several for request `id`: nothing to do yet
  shutdown, ///< the venue will close this connection soon (maintenance): reconnect now
};

/// "not_json", "other", ...
const char* to_string(kind k) noexcept;

/// An incoming frame, classified. Only the members its kind uses are filled.
struct message {
  kind what = kind::not_json;
  std::optional<request_id> id; ///< the id when it is an integer (ours always are)
  std::string method;           ///< notification and request
  std::string params_type;      ///< params.type when a string ("test_request", "heartbeat")
  std::string result;           ///< response: the JSON text of "result"
  std::int64_t error_code = 0;  ///< error: error.code
  std::string error_message;    ///< error: error.message (or error.msg)
  std::uint16_t status = 0;     ///< response and error: the venue's HTTP-like status, if any
  std::string meta;             ///< response: venue metadata sent with it (Binance rateLimits)
};

/// Parses `text` once and classifies it.
message classify(std::string_view text);

/// The strings of `json` when it is an array of strings (Deribit's subscribe result), else
/// nullopt. A non-string element makes the whole answer nullopt.
std::optional<std::vector<std::string>> string_array(std::string_view json);

/// The failure an error answer means, with "code message" as detail and the status kept:
/// venue_rate_limited for status 429 or 418, auth_failed for 401, forbidden for 403,
/// outcome_unknown for 5xx (the venue may have acted, as Binance says of its 5xx), else
/// server_error.
failure to_failure(const message& error_response);

} // namespace zenws::json_rpc
