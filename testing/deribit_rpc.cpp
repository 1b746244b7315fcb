// The Deribit simulator's JSON-RPC side: the envelope, the method table, credits, auth,
// heartbeats, cancel-on-disconnect and subscriptions. See detail/deribit_state.hpp.

#include <zenws/testing/detail/deribit_state.hpp>

#include <algorithm>
#include <cstdlib>
#include <utility>
#include <variant>

#include "zenws/protocol/detail/json_parse.hpp"

namespace zenws::testing::detail::deribit {

namespace {

constexpr const char* api_version = "1.2.26";
constexpr std::uint16_t normal_closure = 1000;
constexpr std::uint16_t policy_violation = 1008;

enum class credit_class : std::uint8_t { non_matching, subscribe, get_instruments, matching };

/// What a method needs before it runs.
struct method_spec {
  const char* name;
  bool is_private;
  credit_class credits;
};

// Every method the simulator answers. The handlers are in dispatch() (session methods) and in
// exchange_method() (deribit_exchange.cpp); a name missing here is "Method not found".
constexpr method_spec methods[] = {
    {"public/auth", false, credit_class::non_matching},
    {"public/hello", false, credit_class::non_matching},
    {"public/get_time", false, credit_class::non_matching},
    {"public/test", false, credit_class::non_matching},
    {"public/set_heartbeat", false, credit_class::non_matching},
    {"public/disable_heartbeat", false, credit_class::non_matching},
    {"public/subscribe", false, credit_class::subscribe},
    {"public/unsubscribe", false, credit_class::non_matching},
    {"public/unsubscribe_all", false, credit_class::non_matching},
    {"public/get_instruments", false, credit_class::get_instruments},
    {"public/get_order_book", false, credit_class::non_matching},
    {"public/ticker", false, credit_class::non_matching},
    {"public/get_last_trades_by_instrument", false, credit_class::non_matching},
    {"private/logout", true, credit_class::non_matching},
    {"private/subscribe", true, credit_class::subscribe},
    {"private/unsubscribe", true, credit_class::non_matching},
    {"private/unsubscribe_all", true, credit_class::non_matching},
    {"private/enable_cancel_on_disconnect", true, credit_class::non_matching},
    {"private/disable_cancel_on_disconnect", true, credit_class::non_matching},
    {"private/get_cancel_on_disconnect", true, credit_class::non_matching},
    {"private/buy", true, credit_class::matching},
    {"private/sell", true, credit_class::matching},
    {"private/edit", true, credit_class::matching},
    {"private/cancel", true, credit_class::matching},
    {"private/cancel_all", true, credit_class::matching},
    {"private/cancel_all_by_instrument", true, credit_class::matching},
    {"private/get_open_orders_by_instrument", true, credit_class::non_matching},
    {"private/get_order_state", true, credit_class::non_matching},
    {"private/get_positions", true, credit_class::non_matching},
    {"private/get_position", true, credit_class::non_matching},
    {"private/get_account_summary", true, credit_class::non_matching},
    {"private/get_user_trades_by_instrument", true, credit_class::non_matching},
    {"private/get_settlement_history_by_instrument", true, credit_class::non_matching},
    {"private/get_settlement_history_by_currency", true, credit_class::non_matching},
    {"private/get_portfolio_margins", true, credit_class::non_matching},
};

const method_spec* find_method(std::string_view name) {
  for (const auto& m : methods)
    if (name == m.name)
      return &m;
  return nullptr;
}

std::string json_of(const rapidjson::Value& v) {
  rapidjson::StringBuffer buffer;
  json_writer w{buffer};
  v.Accept(w);
  return text_of(buffer);
}

std::string quoted(std::string_view s) {
  rapidjson::StringBuffer buffer;
  json_writer w{buffer};
  write_string(w, s);
  return text_of(buffer);
}

/// One request being answered.
struct call {
  deribit_state& state;
  session_id id;
  session_state& session;
  const clock_now& now;
  std::string id_json; ///< the request's id as sent ("null" when unreadable)
  std::int64_t received_us = 0;
  std::vector<std::string> follow_ups; ///< notifications to send after the response
  bool silent = false;                 ///< no response (logout)
  bool close_after = false;
  std::uint16_t close_code = 0;
  std::string close_reason;
};

std::string response(const call& c, const method_result& r) {
  std::string out = R"({"jsonrpc":"2.0","id":)" + c.id_json;
  if (r.error_code == 0) {
    out += R"(,"result":)" + r.result;
  } else {
    out += R"(,"error":{"code":)" + std::to_string(r.error_code) + R"(,"message":)" +
           quoted(r.message);
    if (!r.param.empty())
      out += R"(,"data":{"reason":)" + quoted(r.reason) + R"(,"param":)" + quoted(r.param) + "}";
    out += "}";
  }
  const auto out_us = c.now.wall_us;
  out += R"(,"usIn":)" + std::to_string(c.received_us) + R"(,"usOut":)" + std::to_string(out_us) +
         R"(,"usDiff":)" + std::to_string(out_us - c.received_us) + R"(,"testnet":)" +
         (c.state.options.testnet ? "true" : "false") + "}";
  return out;
}

/// Queues the response, delayed by a random part of reply_spread.
void respond(call& c, const method_result& r) {
  auto& state = c.state;
  action a;
  a.session = c.id;
  a.data = response(c, r);
  a.due = c.now.steady;
  const auto spread = state.options.reply_spread.count();
  if (spread > 0)
    a.due += milliseconds{
        static_cast<std::int64_t>(state.random() % static_cast<std::uint64_t>(spread + 1))};
  // Notifications to the session wait for its delayed responses, so that a subscription's
  // snapshot never overtakes the response before it, nor a delta the snapshot.
  c.session.release_after = std::max(c.session.release_after, a.due);
  state.out.push_back(std::move(a));
}

/// Queues the response (unless silent), its follow-ups and a close.
void answer(call& c, const method_result& r) {
  auto& state = c.state;
  if (r.error_code != 0)
    ++state.counters.error_responses;
  if (!c.silent)
    respond(c, r);
  for (auto& text : c.follow_ups)
    notify(state, c.id, std::move(text));
  if (c.close_after) {
    action close;
    close.what = action::kind::close;
    close.session = c.id;
    close.code = c.close_code;
    close.data = c.close_reason;
    close.due = c.session.release_after;
    c.session.closing = true;
    state.out.push_back(std::move(close));
  }
}

// -- credits ---------------------------------------------------------------------------------

const deribit_credit_pool& pool_of(const deribit_simulator_options& o, credit_class c) {
  switch (c) {
  case credit_class::subscribe:
    return o.subscribe;
  case credit_class::get_instruments:
    return o.get_instruments;
  case credit_class::matching:
    return o.matching_engine;
  case credit_class::non_matching:
    break;
  }
  return o.non_matching;
}

credit_bucket& bucket_of(credit_pools& pools, credit_class c) {
  switch (c) {
  case credit_class::subscribe:
    return pools.subscribe;
  case credit_class::get_instruments:
    return pools.get_instruments;
  case credit_class::matching:
    return pools.matching_engine;
  case credit_class::non_matching:
    break;
  }
  return pools.non_matching;
}

bool charge(call& c, credit_class k) {
  auto& state = c.state;
  if (!state.options.rate_limits)
    return true;
  auto& pools = c.session.account ? state.accounts.at(*c.session.account).credits : state.anonymous;
  return bucket_of(pools, k).take(pool_of(state.options, k), c.now.steady);
}

// -- authentication --------------------------------------------------------------------------

std::string new_token(deribit_state& state, const clock_now& now) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out = std::to_string(now.wall_ms()) + ".";
  for (int i = 0; i < 24; ++i)
    out += digits[state.random() % 16];
  return out + std::to_string(state.next_id++);
}

method_result refuse_credentials(deribit_state& state) {
  ++state.counters.auth_failures;
  return error_result(13004, "invalid_credentials");
}

/// The account a client_signature grant proves, or the error.
std::variant<std::string, method_result> signed_client(call& c, const rapidjson::Value& params) {
  auto& state = c.state;
  const auto client_id = string_param(params, "client_id");
  const auto* timestamp = member(params, "timestamp");
  const auto nonce = string_param(params, "nonce");
  const auto signature = string_param(params, "signature");
  const auto data = string_param(params, "data").value_or("");
  if (!client_id)
    return invalid_param("client_id", "must be a string");
  if (!timestamp || !timestamp->IsInt64())
    return invalid_param("timestamp", "must be an integer (milliseconds)");
  if (!nonce || nonce->empty())
    return invalid_param("nonce", "must be a string");
  if (!signature)
    return invalid_param("signature", "must be a string");
  const auto client = state.options.clients.find(*client_id);
  if (client == state.options.clients.end())
    return refuse_credentials(state);
  const auto age = c.now.wall_ms() - timestamp->GetInt64();
  if (std::abs(age) > state.options.signature_window.count())
    return refuse_credentials(state);
  if (*signature != deribit_signature(client->second, timestamp->GetInt64(), *nonce, data))
    return refuse_credentials(state);
  if (!state.accounts.count(*client_id))
    make_account(state, *client_id);
  auto& nonces = state.accounts.at(*client_id).nonces;
  for (auto it = nonces.begin(); it != nonces.end();)
    it = it->second <= c.now.steady ? nonces.erase(it) : std::next(it);
  if (!nonces.emplace(*nonce, c.now.steady + state.options.signature_window * 2).second)
    return refuse_credentials(state); // a replayed request
  return *client_id;
}

std::variant<std::string, method_result> authenticated_client(call& c,
                                                              const rapidjson::Value& params) {
  auto& state = c.state;
  const auto grant = string_param(params, "grant_type");
  if (!grant)
    return invalid_param("grant_type", "must be a string");
  if (*grant == "client_credentials") {
    const auto client_id = string_param(params, "client_id");
    const auto secret = string_param(params, "client_secret");
    if (!client_id)
      return invalid_param("client_id", "must be a string");
    if (!secret)
      return invalid_param("client_secret", "must be a string");
    const auto client = state.options.clients.find(*client_id);
    if (client == state.options.clients.end() || client->second != *secret)
      return refuse_credentials(state);
    return *client_id;
  }
  if (*grant == "client_signature")
    return signed_client(c, params);
  if (*grant == "refresh_token") {
    const auto token = string_param(params, "refresh_token");
    if (!token)
      return invalid_param("refresh_token", "must be a string");
    const auto it = state.refresh_tokens.find(*token);
    if (it == state.refresh_tokens.end() || it->second.expires <= c.now.steady)
      return refuse_credentials(state);
    auto account = it->second.account;
    state.refresh_tokens.erase(it); // each refresh token is used once [inf]
    return account;
  }
  return invalid_param("grant_type", "must be client_credentials, client_signature or "
                                     "refresh_token");
}

method_result authenticate(call& c, const rapidjson::Value& params) {
  auto client = authenticated_client(c, params);
  if (auto* e = std::get_if<method_result>(&client))
    return *e;
  auto& state = c.state;
  const auto& account = std::get<std::string>(client);
  if (!state.accounts.count(account))
    make_account(state, account);
  token_info info;
  info.account = account;
  const auto scope = string_param(params, "scope").value_or("");
  if (const auto at = scope.find("session:"); at != std::string::npos)
    info.session_name = scope.substr(at + 8, scope.find(' ', at) - at - 8);
  else
    info.session = c.id;
  const auto access = new_token(state, c.now);
  const auto refresh = new_token(state, c.now);
  info.expires = c.now.steady + state.options.token_lifetime;
  state.access_tokens[access] = info;
  info.expires = c.now.steady + state.options.refresh_lifetime;
  state.refresh_tokens[refresh] = info;
  c.session.account = account;
  c.session.access_token = access;
  ++state.counters.auths;
  const auto granted =
      (info.session_name.empty() ? std::string{"connection"} : "session:" + info.session_name) +
      " mainaccount";
  std::string out = R"({"access_token":)" + quoted(access) + R"(,"expires_in":)" +
                    std::to_string(state.options.token_lifetime.count() / 1000) +
                    R"(,"refresh_token":)" + quoted(refresh) + R"(,"scope":)" + quoted(granted) +
                    R"(,"token_type":"bearer","enabled_features":[])";
  if (const auto echo = string_param(params, "state"))
    out += R"(,"state":)" + quoted(*echo);
  return ok(out + "}");
}

/// The account a private call acts for: its access_token param, else the session's own auth.
std::optional<std::string> caller(call& c, const rapidjson::Value& params) {
  auto& state = c.state;
  const auto valid = [&](const std::string& token) -> std::optional<std::string> {
    const auto it = state.access_tokens.find(token);
    if (it == state.access_tokens.end() || it->second.expires <= c.now.steady)
      return std::nullopt;
    if (it->second.session && *it->second.session != c.id)
      return std::nullopt; // connection scope: only where it was issued
    return it->second.account;
  };
  if (const auto token = string_param(params, "access_token"))
    return valid(*token);
  if (!c.session.account)
    return std::nullopt;
  return valid(c.session.access_token);
}

// -- session methods -------------------------------------------------------------------------

method_result set_heartbeat(call& c, const rapidjson::Value& params) {
  const auto* interval = member(params, "interval");
  if (!interval || !interval->IsNumber())
    return invalid_param("interval", "must be a number");
  const auto min = c.state.options.min_heartbeat_interval;
  if (interval->GetDouble() < static_cast<double>(min))
    return invalid_param("interval", "must be at least " + std::to_string(min));
  c.session.heartbeat_interval = static_cast<std::int64_t>(interval->GetDouble());
  c.session.next_test_request =
      c.now.steady + c.state.options.heartbeat_second * c.session.heartbeat_interval;
  c.session.answer_due.reset();
  return ok(R"("ok")");
}

bool covered_by_cod(const deribit_state& state, const session_state& s) {
  return s.cod || (s.account && state.accounts.count(*s.account) &&
                   state.accounts.at(*s.account).cod_account);
}

method_result cancel_on_disconnect(call& c, const std::string& method,
                                   const rapidjson::Value& params, const std::string& account) {
  const auto scope = string_param(params, "scope").value_or("connection");
  if (scope != "connection" && scope != "account")
    return invalid_param("scope", "must be connection or account");
  auto& a = c.state.accounts.at(account);
  bool& flag = scope == "connection" ? c.session.cod : a.cod_account;
  if (method == "private/get_cancel_on_disconnect")
    return ok(R"({"scope":)" + quoted(scope) + R"(,"enabled":)" + (flag ? "true" : "false") + "}");
  flag = method == "private/enable_cancel_on_disconnect";
  return ok(R"("ok")");
}

std::variant<std::vector<std::string>, method_result>
channels_param(const rapidjson::Value& params) {
  const auto* list = member(params, "channels");
  if (!list || !list->IsArray() || list->Empty())
    return invalid_param("channels", "must be a non-empty array of strings");
  std::vector<std::string> out;
  for (const auto& v : list->GetArray()) {
    if (!v.IsString())
      return invalid_param("channels", "must be a non-empty array of strings");
    out.emplace_back(v.GetString(), v.GetStringLength());
  }
  return out;
}

std::string string_list(const std::vector<std::string>& items) {
  std::string out = "[";
  for (const auto& s : items) {
    if (out.size() > 1)
      out += ',';
    out += quoted(s);
  }
  return out + "]";
}

method_result subscribe(call& c, bool private_method, const rapidjson::Value& params) {
  auto requested = channels_param(params);
  if (auto* e = std::get_if<method_result>(&requested))
    return *e;
  auto& state = c.state;
  const bool authenticated = c.session.account.has_value();
  std::vector<std::string> accepted;
  for (const auto& channel : std::get<std::vector<std::string>>(requested)) {
    const auto info = classify_channel(state, channel);
    if (!info.valid || (info.is_private && !private_method) ||
        std::find(accepted.begin(), accepted.end(), channel) != accepted.end())
      continue; // left out of the result: partial acceptance
    if (info.raw && !authenticated)
      return error_result(13778, "raw_subscriptions_not_available_for_unauthorized");
    accepted.push_back(channel);
  }
  for (const auto& channel : accepted) {
    if (!c.session.channels.insert(channel).second)
      continue;
    ++state.counters.subscriptions;
    if (auto snapshot = book_snapshot(state, channel, c.now.wall_ms()); !snapshot.empty())
      c.follow_ups.push_back(std::move(snapshot));
  }
  return ok(string_list(accepted));
}

method_result unsubscribe(call& c, const rapidjson::Value& params) {
  auto requested = channels_param(params);
  if (auto* e = std::get_if<method_result>(&requested))
    return *e;
  std::vector<std::string> removed;
  for (const auto& channel : std::get<std::vector<std::string>>(requested))
    if (c.session.channels.erase(channel) != 0) {
      removed.push_back(channel);
      --c.state.counters.subscriptions;
    }
  return ok(string_list(removed));
}

method_result logout(call& c, const rapidjson::Value& params) {
  const auto* invalidate = member(params, "invalidate_token");
  if (!invalidate || !invalidate->IsBool() || invalidate->GetBool())
    c.state.access_tokens.erase(c.session.access_token);
  c.session.logged_out = true;
  c.silent = true; // Deribit answers a logout by closing
  c.close_after = true;
  c.close_code = normal_closure;
  c.close_reason = "logout";
  ++c.state.counters.logouts;
  return {};
}

std::optional<method_result> session_method(call& c, const std::string& method,
                                            const rapidjson::Value& params,
                                            const std::string& account) {
  auto& state = c.state;
  if (method == "public/auth")
    return authenticate(c, params);
  if (method == "public/hello") {
    if (!string_param(params, "client_name"))
      return invalid_param("client_name", "must be a string");
    if (!string_param(params, "client_version"))
      return invalid_param("client_version", "must be a string");
    return ok(R"({"version":")" + std::string{api_version} + R"("})");
  }
  if (method == "public/get_time")
    return ok(std::to_string(c.now.wall_ms()));
  if (method == "public/test") {
    ++state.counters.tests_answered;
    c.session.answer_due.reset();
    if (string_param(params, "expected_result").value_or("") == "exception")
      return error_result(11094, "internal_server_error");
    return ok(R"({"version":")" + std::string{api_version} + R"("})");
  }
  if (method == "public/set_heartbeat")
    return set_heartbeat(c, params);
  if (method == "public/disable_heartbeat") {
    c.session.heartbeat_interval = 0;
    c.session.answer_due.reset();
    return ok(R"("ok")");
  }
  if (method == "public/subscribe" || method == "private/subscribe")
    return subscribe(c, method == "private/subscribe", params);
  if (method == "public/unsubscribe" || method == "private/unsubscribe")
    return unsubscribe(c, params);
  if (method == "public/unsubscribe_all" || method == "private/unsubscribe_all") {
    state.counters.subscriptions -= c.session.channels.size();
    c.session.channels.clear();
    return ok(R"("ok")");
  }
  if (method == "private/logout")
    return logout(c, params);
  if (method.find("cancel_on_disconnect") != std::string::npos)
    return cancel_on_disconnect(c, method, params, account);
  return std::nullopt;
}

// -- the envelope ----------------------------------------------------------------------------

/// The request's id as JSON text, when it is one Deribit accepts (integer or string).
std::optional<std::string> id_of(const rapidjson::Value& doc) {
  const auto* id = member(doc, "id");
  if (!id || !(id->IsInt64() || id->IsString()))
    return std::nullopt;
  return json_of(*id);
}

void dispatch(call& c, const std::string& method, const rapidjson::Value& doc) {
  auto& state = c.state;
  static const rapidjson::Value empty_object{rapidjson::kObjectType};
  const auto* params = member(doc, "params");
  if (params && !params->IsObject())
    return answer(c, error_result(-32600, "Invalid Request"));
  if (!params)
    params = &empty_object;
  const auto* spec = find_method(method);
  if (!spec)
    return answer(c, error_result(-32601, "Method not found"));
  if (!charge(c, spec->credits)) {
    ++state.counters.rate_limited;
    c.close_after = true;
    c.close_code = policy_violation;
    c.close_reason = "too_many_requests";
    return answer(c, error_result(10028, "too_many_requests"));
  }
  std::string account;
  if (spec->is_private) {
    const auto who = caller(c, *params);
    if (!who) {
      ++state.counters.unauthorized;
      return answer(c, error_result(13009, "unauthorized"));
    }
    account = *who;
  }
  if (const auto injected = state.injected.find(method); injected != state.injected.end()) {
    auto [code, message] = std::move(injected->second.front());
    injected->second.pop_front();
    if (injected->second.empty())
      state.injected.erase(injected);
    return answer(c, error_result(code, std::move(message)));
  }
  if (auto r = session_method(c, method, *params, account))
    return answer(c, *r);
  if (auto r = exchange_method(state, method, *params, account, c.id, c.now))
    return answer(c, *r);
  answer(c, error_result(-32601, "Method not found"));
}

} // namespace

bool credit_bucket::take(const deribit_credit_pool& pool, steady_time now) {
  if (!started) {
    tokens = pool.size;
    at = now;
    started = true;
  }
  const std::chrono::duration<double> elapsed = now - at;
  tokens = std::min(pool.size, tokens + elapsed.count() * pool.refill_per_second);
  at = now;
  if (tokens < pool.cost)
    return false;
  tokens -= pool.cost;
  return true;
}

void notify(deribit_state& state, session_id id, std::string text) {
  const auto s = state.sessions.find(id);
  if (s == state.sessions.end() || s->second.closing)
    return;
  action a;
  a.session = id;
  a.data = std::move(text);
  a.due = s->second.release_after;
  state.out.push_back(std::move(a));
}

void on_frame(deribit_state& state, session_id id, session_state& s, const frame& f,
              const clock_now& now) {
  if (s.closing)
    return;
  call c{state, id, s, now, "null", now.wall_us, {}, false, false, 0, {}};
  if (f.binary)
    return answer(c, error_result(-32600, "Invalid Request"));
  rapidjson::Document doc;
  const bool parsed = zenws::detail::parse_json(doc, f.data);
  if (parsed)
    c.id_json = id_of(doc).value_or("null");
  if (f.data.size() > state.options.max_frame_bytes) {
    ++state.counters.oversize_frames;
    return answer(c, error_result(-32600, "request entity too large"));
  }
  if (!parsed)
    return answer(c, error_result(-32700, "Parse error"));
  const auto* method = member(doc, "method");
  if (!doc.IsObject() || !method || !method->IsString() || c.id_json == "null")
    return answer(c, error_result(-32600, "Invalid Request"));
  ++state.counters.requests;
  dispatch(c, std::string{method->GetString(), method->GetStringLength()}, doc);
}

steady_time heartbeat_tick(deribit_state& state, session_id id, session_state& s, steady_time now) {
  constexpr auto never = steady_time::max();
  if (s.heartbeat_interval == 0 || s.closing)
    return never;
  if (s.answer_due && now >= *s.answer_due) {
    ++state.counters.heartbeat_closes;
    s.closing = true;
    action a;
    a.what = state.options.heartbeat_reset ? action::kind::reset : action::kind::close;
    a.session = id;
    a.code = normal_closure;
    a.data = "heartbeat timeout";
    a.due = now;
    state.out.push_back(std::move(a));
    return never;
  }
  const auto interval = state.options.heartbeat_second * s.heartbeat_interval;
  if (now >= s.next_test_request) {
    ++state.counters.test_requests;
    notify(state, id, R"({"jsonrpc":"2.0","method":"heartbeat","params":{"type":"test_request"}})");
    if (!s.answer_due)
      s.answer_due = now + interval;
    s.next_test_request = now + interval;
  }
  return s.answer_due ? std::min(*s.answer_due, s.next_test_request) : s.next_test_request;
}

void end_session(deribit_state& state, session_id id, const clock_now& now) {
  const auto it = state.sessions.find(id);
  if (it == state.sessions.end())
    return;
  auto& s = it->second;
  if (!s.logged_out && covered_by_cod(state, s))
    state.counters.cod_cancels += cancel_session_orders(state, id, now);
  state.counters.subscriptions -= s.channels.size();
  for (auto t = state.access_tokens.begin(); t != state.access_tokens.end();)
    t = t->second.session == id ? state.access_tokens.erase(t) : std::next(t);
  state.sessions.erase(it);
  --state.counters.open_sessions;
}

} // namespace zenws::testing::detail::deribit
