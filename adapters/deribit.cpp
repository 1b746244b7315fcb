#include "zenws/adapters/deribit.hpp"

#include <random>
#include <utility>

#include "zenws/protocol/hmac.hpp"

namespace zenws::deribit {

namespace {

std::int64_t system_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string random_nonce() {
  static constexpr char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  thread_local std::mt19937_64 random{std::random_device{}()};
  std::string out(16, ' ');
  for (auto& c : out)
    c = alphabet[random() % (sizeof(alphabet) - 1)];
  return out;
}

/// The HTTP-like status a Deribit error code stands for, which json_rpc::to_failure reads.
std::uint16_t status_of(std::int64_t code) {
  switch (code) {
  case 10028: // too_many_requests
  case 10066: // too_many_concurrent_requests
    return 429;
  case 13004: // invalid_credentials
  case 13009: // unauthorized
    return 401;
  case 13021: // forbidden
  case 13403: // scope_exceeded
    return 403;
  default:
    return 0;
  }
}

std::string hello_params(const settings& s) {
  std::string out = "{\"client_name\":";
  append_json_string(out, s.client_name);
  out += ",\"client_version\":";
  append_json_string(out, s.client_version);
  return out + "}";
}

} // namespace

std::string signature(std::string_view secret, std::int64_t timestamp_ms, std::string_view nonce,
                      std::string_view data) {
  std::string text = std::to_string(timestamp_ms);
  text += '\n';
  text += nonce;
  text += '\n';
  text += data;
  return hmac_sha256_hex(secret, text);
}

std::string auth_params(const credentials& c, grant g, std::int64_t timestamp_ms,
                        std::string_view nonce, std::string_view scope) {
  std::string out = "{\"grant_type\":";
  if (g == grant::client_credentials) {
    out += "\"client_credentials\",\"client_id\":";
    append_json_string(out, c.client_id);
    out += ",\"client_secret\":";
    append_json_string(out, c.client_secret);
  } else {
    out += "\"client_signature\",\"client_id\":";
    append_json_string(out, c.client_id);
    out += ",\"timestamp\":" + std::to_string(timestamp_ms) + ",\"nonce\":";
    append_json_string(out, nonce);
    out += ",\"data\":\"\",\"signature\":";
    append_json_string(out, signature(c.client_secret, timestamp_ms, nonce));
  }
  if (!scope.empty()) {
    out += ",\"scope\":";
    append_json_string(out, scope);
  }
  return out + "}";
}

// -- dialect --------------------------------------------------------------------------------------

namespace {

json_rpc_dialect_options subscription_methods(bool authenticated) {
  json_rpc_dialect_options o;
  if (authenticated) {
    o.subscribe_method = "private/subscribe";
    o.unsubscribe_method = "private/unsubscribe";
  }
  return o;
}

} // namespace

dialect::dialect(bool authenticated)
    : json_rpc_dialect(subscription_methods(authenticated)), authenticated_(authenticated) {}

std::unique_ptr<wire_dialect> dialect::clone() const {
  return std::make_unique<dialect>(authenticated_);
}

failure dialect::check_request(std::string_view method, std::string_view params) const {
  if (auto f = json_rpc_dialect::check_request(method, params))
    return f;
  const auto* m = find_method(method);
  return m ? check_params(*m, params) : failure{};
}

inbound dialect::read(std::string_view text) {
  auto message = json_rpc_dialect::read(text);
  if (message.what == json_rpc::kind::error)
    message.status = status_of(message.error_code);
  return message;
}

// -- adapter --------------------------------------------------------------------------------------

venue_adapter adapter(settings s) {
  venue_adapter out;
  const bool authenticated = !s.login.client_id.empty();
  out.options.dialect = std::make_shared<dialect>(authenticated);
  out.heartbeat.policy = heartbeat_policy::deribit;
  out.heartbeat.interval = s.heartbeat;
  out.heartbeat.max_missed = s.missed_heartbeats;
  if (s.rate_limits) {
    out.options.rate_limit.limits = deribit_rate_limits(s.tier);
    out.options.rate_limit.request_cost = deribit_cost;
    // Heartbeat answers (public/test) are requests too: 500 non-matching credits each.
    out.options.rate_limit.heartbeat_cost = deribit_cost("public/test");
  }
  if (!s.clock_ms)
    s.clock_ms = system_clock_ms;
  if (!s.nonce)
    s.nonce = random_nonce;
  out.options.bootstrap = [s = std::move(s), authenticated] {
    std::vector<bootstrap_call> calls;
    if (authenticated)
      calls.push_back({std::string{methods::auth.name},
                       auth_params(s.login, s.auth, s.clock_ms(), s.nonce(), s.scope)});
    calls.push_back({std::string{methods::hello.name}, hello_params(s)});
    if (authenticated && s.cancel_on_disconnect)
      calls.push_back({std::string{methods::enable_cancel_on_disconnect.name}, "{}"});
    return calls;
  };
  return out;
}

} // namespace zenws::deribit
