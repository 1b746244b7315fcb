#pragma once
// Internal to the Binance simulator's WS API (not installed): what its three files share.
//
//   binance_ws_api.cpp          the envelope, REQUEST_WEIGHT windows, 429s and bans
//   binance_signing.cpp         request params as signed, HMAC, the SIGNED request checks
//   binance_ws_api_methods.cpp  ping, time, depth, order.place, order.cancel, account.status

#include <zenws/testing/detail/binance_state.hpp>

#include <rapidjson/document.h>

#include <optional>
#include <string>
#include <string_view>

namespace zenws::testing::detail {

/// A failed request as the venue reports it.
struct api_error {
  int status = 400;
  int code = 0;
  std::string msg;
  std::string data; ///< JSON object text, or empty
};

/// What a method produced: a result (JSON text) or an error.
struct outcome {
  std::string result;
  std::optional<api_error> error;
};

inline outcome fail(int code, std::string msg, int status = 400) {
  return {{}, api_error{status, code, std::move(msg), {}}};
}

/// -1102 naming the parameter.
inline api_error missing(const std::string& name) {
  return {400,
          -1102,
          "Mandatory parameter '" + name + "' was not sent, was empty/null, or malformed.",
          {}};
}

/// A request's params twice: as typed JSON, and with numbers kept as the text the client sent
/// (what the signature covers).
struct request_params {
  const rapidjson::Value* typed = nullptr; ///< an object, or null when there are no params
  const rapidjson::Value* text = nullptr;  ///< the same object parsed with numbers as strings

  /// A param's text (strings unquoted, numbers as sent); nullopt when absent, null or empty.
  std::optional<std::string> get(const char* name) const;
  /// Every param but signature, sorted by name: `k=v&k=v`.
  std::string signing_payload() const;
};

/// Plain decimal text ("0.01"), or nullopt.
std::optional<double> decimal(const std::string& s);
/// Plain non-negative integer text of at most 18 digits, or nullopt.
std::optional<std::int64_t> integer(const std::string& s);

/// The SIGNED checks in the venue's order (see binance_simulator.hpp); nullopt when they pass.
std::optional<api_error> check_signed(const binance_state& state, const request_params& p,
                                      std::int64_t now_ms);

/// Runs `method`, one that method_weight knows; SIGNED methods pass check_signed first.
outcome dispatch(binance_state& state, std::string_view method, const request_params& p,
                 std::int64_t now_ms);

} // namespace zenws::testing::detail
