// Binance WS API signing: params as the signature covers them, HMAC-SHA256, and the SIGNED
// request checks (key, recvWindow, signature, timestamp). See detail/binance_ws_api.hpp.

#include <zenws/testing/detail/binance_ws_api.hpp>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <stdexcept>

namespace zenws::testing {

std::string binance_hmac_sha256_hex(std::string_view secret, std::string_view payload) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (!HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
            reinterpret_cast<const unsigned char*>(payload.data()), payload.size(), digest,
            &length))
    throw std::runtime_error("binance_hmac_sha256_hex: HMAC failed");
  static constexpr char digits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    hex += digits[digest[i] >> 4];
    hex += digits[digest[i] & 0x0f];
  }
  return hex;
}

namespace detail {

namespace {

constexpr double default_recv_window = 5000;
constexpr double max_recv_window = 60000;
constexpr double future_tolerance_ms = 1000;

std::string value_text(const rapidjson::Value& v) {
  if (v.IsString())
    return {v.GetString(), v.GetStringLength()};
  rapidjson::StringBuffer buffer;
  json_writer w{buffer};
  v.Accept(w);
  return buffer.GetString();
}

/// A request's params twice: as typed JSON, and with numbers kept as the text the client sent

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

} // namespace

std::optional<std::string> request_params::get(const char* name) const {
  if (!text)
    return std::nullopt;
  const auto it = text->FindMember(name);
  if (it == text->MemberEnd() || it->value.IsNull())
    return std::nullopt;
  auto s = value_text(it->value);
  return s.empty() ? std::nullopt : std::optional<std::string>{std::move(s)};
}

std::string request_params::signing_payload() const {
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const auto& m : text->GetObject()) {
    std::string name{m.name.GetString(), m.name.GetStringLength()};
    if (name != "signature")
      pairs.emplace_back(std::move(name), value_text(m.value));
  }
  std::sort(pairs.begin(), pairs.end());
  std::string payload;
  for (const auto& [name, value] : pairs)
    payload.append(payload.empty() ? "" : "&").append(name).append("=").append(value);
  return payload;
}

std::optional<double> decimal(const std::string& s) {
  const bool plain = !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || c == '.';
  });
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (!plain || end != s.c_str() + s.size())
    return std::nullopt;
  return v;
}

std::optional<std::int64_t> integer(const std::string& s) {
  if (s.empty() || s.size() > 18 ||
      !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  return std::strtoll(s.c_str(), nullptr, 10);
}

std::optional<api_error> check_signed(const binance_state& state, const request_params& p,
                                      std::int64_t now_ms) {
  for (const char* name : {"apiKey", "signature", "timestamp"})
    if (!p.get(name))
      return missing(name);
  const auto key = state.options.api_keys.find(*p.get("apiKey"));
  if (key == state.options.api_keys.end())
    return api_error{401, -2015, "Invalid API-key, IP, or permissions for action.", {}};
  double recv_window = default_recv_window;
  if (auto text = p.get("recvWindow")) {
    auto v = decimal(*text);
    if (!v)
      return missing("recvWindow");
    if (*v > max_recv_window)
      return api_error{400,
                       -1102,
                       "'recvWindow' contains unexpected value. Cannot be greater than '60000'.",
                       {}};
    recv_window = *v;
  }
  if (!equal_ignoring_case(binance_hmac_sha256_hex(key->second, p.signing_payload()),
                           *p.get("signature")))
    return api_error{400, -1022, "Signature for this request is not valid.", {}};
  const auto stamp = integer(*p.get("timestamp"));
  if (!stamp)
    return missing("timestamp");
  // Timestamps may come in microseconds: anything past 10^14 ms (year 5138) is taken as such.
  const double ts = *stamp > 100'000'000'000'000 ? static_cast<double>(*stamp) / 1000.0
                                                 : static_cast<double>(*stamp);
  const auto server = static_cast<double>(now_ms);
  if (!(ts < server + future_tolerance_ms))
    return api_error{
        400, -1021, "Timestamp for this request was 1000ms ahead of the server's time.", {}};
  if (server - ts > recv_window)
    return api_error{400, -1021, "Timestamp for this request is outside of the recvWindow.", {}};
  return std::nullopt;
}

} // namespace detail

} // namespace zenws::testing
