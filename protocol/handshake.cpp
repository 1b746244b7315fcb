#include "zenws/protocol/handshake.hpp"

#include <algorithm>
#include <bitset>
#include <charconv>
#include <optional>

#include <openssl/sha.h>

#include "zenws/protocol/base64.hpp"

namespace zenws {

namespace {

// RFC 6455 section 1.3: the server proves it read our key by hashing it with this GUID.
constexpr std::string_view accept_guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

// -- header text ---------------------------------------------------------------------------------

char to_lower(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// ASCII case-insensitive, as HTTP header names and these tokens compare.
bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return to_lower(x) == to_lower(y);
         });
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

// Calls f(element) for each trimmed, non-empty element of a `separator`-separated list until f
// returns false. Returns false when f did.
template <class F>
bool for_each_element(std::string_view list, char separator, F&& f) {
  while (!list.empty()) {
    const auto end = std::min(list.find(separator), list.size());
    const auto element = trim(list.substr(0, end));
    if (!element.empty() && !f(element))
      return false;
    list.remove_prefix(std::min(end + 1, list.size()));
  }
  return true;
}

// Every field named `name` counts: a list-valued header may be split over several lines.
template <class F>
bool for_each_header(const upgrade_reply& reply, std::string_view name, F&& f) {
  for (const auto& [field, value] : reply.headers)
    if (iequals(field, name) && !f(trim(value)))
      return false;
  return true;
}

// A quoted-string parameter value means its unescaped content (RFC 7692 section 7).
std::string unquote(std::string_view value) {
  if (value.size() < 2 || value.front() != '"' || value.back() != '"')
    return std::string(value);
  std::string content;
  for (std::size_t i = 1; i + 1 < value.size(); ++i) {
    if (value[i] == '\\' && i + 2 < value.size())
      ++i;
    content += value[i];
  }
  return content;
}

failure bad_response(std::string detail) {
  return failure{errc::bad_upgrade_response, std::move(detail)};
}

// -- the checks of RFC 6455 section 4.1 ----------------------------------------------------------

failure check_status(unsigned status) {
  if (status == 101)
    return {};
  const auto code = status == 429                   ? errc::upgrade_rate_limited
                    : status >= 500 && status < 600 ? errc::upgrade_unavailable
                                                    : errc::upgrade_rejected;
  return failure{code, "server answered the upgrade with HTTP " + std::to_string(status)};
}

bool has_connection_upgrade(const upgrade_reply& reply) {
  bool found = false;
  for_each_header(reply, "Connection", [&found](std::string_view value) {
    return for_each_element(value, ',', [&found](std::string_view token) {
      found = iequals(token, "upgrade");
      return !found;
    });
  });
  return found;
}

failure check_upgrade_headers(const upgrade_reply& reply, std::string_view key) {
  const auto upgrade = trim(reply.header("Upgrade"));
  if (upgrade.empty())
    return bad_response("Upgrade header missing");
  if (!iequals(upgrade, "websocket"))
    return bad_response("Upgrade header is not websocket");
  if (!has_connection_upgrade(reply))
    return bad_response("Connection header lacks the upgrade token");
  const auto accept = trim(reply.header("Sec-WebSocket-Accept"));
  if (accept.empty())
    return bad_response("Sec-WebSocket-Accept missing");
  if (accept != expected_accept(key))
    return bad_response("Sec-WebSocket-Accept does not match the key");
  return {};
}

failure check_subprotocol(const upgrade_reply& reply, const std::vector<std::string>& offered,
                          std::string& chosen) {
  std::size_t answers = 0;
  std::string_view answer;
  for_each_header(reply, "Sec-WebSocket-Protocol", [&](std::string_view value) {
    answer = value;
    return ++answers == 1;
  });
  if (answers == 0)
    return {};
  if (offered.empty())
    return failure{errc::subprotocol_mismatch, "server chose a subprotocol but none was offered"};
  if (answers > 1 || std::find(offered.begin(), offered.end(), answer) == offered.end())
    return failure{errc::subprotocol_mismatch, "server chose a subprotocol that was not offered"};
  chosen = answer;
  return {};
}

// -- permessage-deflate (RFC 7692 section 7) -----------------------------------------------------

// A window size: a decimal 8..15 without leading zeros.
std::optional<int> parse_window_bits(std::string_view text) {
  int bits = 0;
  const auto end = text.data() + text.size();
  const auto [at, ec] = std::from_chars(text.data(), end, bits);
  if (ec != std::errc{} || at != end || text.front() == '0' || bits < 8 || bits > 15)
    return std::nullopt;
  return bits;
}

// The parameters a permessage-deflate response may carry (RFC 7692 section 7.1).
enum deflate_parameter : std::uint8_t {
  server_no_context_takeover,
  client_no_context_takeover,
  server_max_window_bits,
  client_max_window_bits,
  deflate_parameter_count
};

constexpr std::array<std::string_view, deflate_parameter_count> deflate_parameter_names = {
    "server_no_context_takeover", "client_no_context_takeover", "server_max_window_bits",
    "client_max_window_bits"};

std::optional<deflate_parameter> find_deflate_parameter(std::string_view name) {
  for (std::size_t i = 0; i < deflate_parameter_names.size(); ++i)
    if (iequals(name, deflate_parameter_names[i]))
      return static_cast<deflate_parameter>(i);
  return std::nullopt;
}

// Applies one parameter of the server's permessage-deflate response to `params`. `seen` holds
// the parameters already applied: each may appear once. Details name parameters in our own
// spelling, never the server's text.
failure apply_deflate_parameter(std::string_view text, const compression_config& offer,
                                deflate_parameters& params,
                                std::bitset<deflate_parameter_count>& seen) {
  const auto equals = text.find('=');
  const auto parameter = find_deflate_parameter(trim(text.substr(0, equals)));
  if (!parameter)
    return bad_response("unknown permessage-deflate parameter in Sec-WebSocket-Extensions");
  const std::string name(deflate_parameter_names[*parameter]);
  if (seen.test(*parameter))
    return bad_response("permessage-deflate parameter " + name + " appears twice");
  seen.set(*parameter);

  const bool has_value = equals != std::string_view::npos;
  if (*parameter == server_no_context_takeover || *parameter == client_no_context_takeover) {
    if (has_value)
      return bad_response("permessage-deflate parameter " + name + " takes no value");
    if (*parameter == server_no_context_takeover)
      params.server_no_context_takeover = true;
    else
      params.client_no_context_takeover = true;
    return {};
  }
  const auto bits =
      has_value ? parse_window_bits(unquote(trim(text.substr(equals + 1)))) : std::nullopt;
  if (!bits)
    return bad_response("permessage-deflate parameter " + name + " needs a value of 8..15");
  // Our offer always carries client_max_window_bits, so the server may always set it. A value
  // above the one we offered still allows our smaller window, so the smaller one wins.
  if (*parameter == server_max_window_bits)
    params.server_max_window_bits = *bits;
  else
    params.client_max_window_bits = std::min(*bits, offer.client_max_window_bits);
  return {};
}

// One element of Sec-WebSocket-Extensions: the server accepting our one offer, which can only
// be permessage-deflate, and only once.
failure accept_extension(std::string_view extension, const compression_config& offer,
                         upgrade_outcome& outcome) {
  const auto name_end = std::min(extension.find(';'), extension.size());
  if (!offer.enabled || !iequals(trim(extension.substr(0, name_end)), "permessage-deflate"))
    return bad_response("Sec-WebSocket-Extensions names an extension that was not offered");
  if (outcome.compression)
    return bad_response("Sec-WebSocket-Extensions accepts permessage-deflate twice");
  outcome.compression = true;
  outcome.deflate.client_max_window_bits = offer.client_max_window_bits;
  // We promised to reset our compressor; the server may also demand it unasked.
  outcome.deflate.client_no_context_takeover = offer.client_no_context_takeover;
  std::bitset<deflate_parameter_count> seen;
  failure error;
  for_each_element(extension.substr(name_end), ';', [&](std::string_view parameter) {
    error = apply_deflate_parameter(parameter, offer, outcome.deflate, seen);
    return !error;
  });
  return error;
}

failure check_extensions(const upgrade_reply& reply, const compression_config& offer,
                         upgrade_outcome& outcome) {
  failure error;
  for_each_header(reply, "Sec-WebSocket-Extensions", [&](std::string_view value) {
    return for_each_element(value, ',', [&](std::string_view extension) {
      error = accept_extension(extension, offer, outcome);
      return !error;
    });
  });
  return error;
}

} // namespace

std::string_view upgrade_reply::header(std::string_view name) const {
  for (const auto& [field, value] : headers)
    if (iequals(field, name))
      return value;
  return {};
}

std::string make_websocket_key(const std::array<std::uint8_t, 16>& random_bytes) {
  return base64_encode(
      std::string_view(reinterpret_cast<const char*>(random_bytes.data()), random_bytes.size()));
}

std::string expected_accept(std::string_view key) {
  std::string input;
  input.reserve(key.size() + accept_guid.size());
  input.append(key).append(accept_guid);
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  return base64_encode(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

std::string make_extension_offer(const compression_config& compression) {
  if (!compression.enabled)
    return {};
  // client_max_window_bits tells the server it may shrink our window (RFC 7692 section
  // 7.1.2.2); server_max_window_bits=15 is the default and goes unsaid.
  auto offer = "permessage-deflate; client_max_window_bits=" +
               std::to_string(compression.client_max_window_bits);
  if (compression.server_max_window_bits < 15)
    offer += "; server_max_window_bits=" + std::to_string(compression.server_max_window_bits);
  if (compression.client_no_context_takeover)
    offer += "; client_no_context_takeover";
  if (compression.server_no_context_takeover)
    offer += "; server_no_context_takeover";
  return offer;
}

upgrade_outcome check_upgrade_reply(const upgrade_reply& reply, std::string_view key,
                                    const std::vector<std::string>& subprotocols,
                                    const compression_config& compression) {
  upgrade_outcome outcome;
  auto& error = outcome.error;
  error = check_status(reply.status);
  if (!error)
    error = check_upgrade_headers(reply, key);
  if (!error)
    error = check_extensions(reply, compression, outcome);
  if (!error)
    error = check_subprotocol(reply, subprotocols, outcome.subprotocol);
  if (error) {
    error.http_status = static_cast<std::uint16_t>(reply.status);
    outcome.subprotocol.clear();
    outcome.compression = false;
    outcome.deflate = {};
  }
  return outcome;
}

} // namespace zenws
