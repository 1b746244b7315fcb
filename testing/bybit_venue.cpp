// The Bybit v5 venue responder: envelope, ping, auth, (un)subscribe. Rules are listed in
// bybit_venue.hpp; this file follows that list top to bottom.

#include "zenws/testing/bybit_venue.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <optional>
#include <random>
#include <stdexcept>
#include <utility>

#include "zenws/protocol/detail/json_parse.hpp"

namespace zenws::testing {

// -- state ---------------------------------------------------------------------------------------

bybit_session bybit_venue_state::session(session_id id) const {
  std::lock_guard<std::mutex> lock{mutex_};
  const auto it = sessions_.find(id);
  return it == sessions_.end() ? bybit_session{} : it->second;
}

std::vector<session_id> bybit_venue_state::sessions() const {
  std::lock_guard<std::mutex> lock{mutex_};
  std::vector<session_id> ids;
  for (const auto& entry : sessions_)
    ids.push_back(entry.first);
  return ids;
}

void bybit_venue_state::update(session_id id, const std::function<void(bybit_session&)>& change) {
  std::lock_guard<std::mutex> lock{mutex_};
  change(sessions_[id]);
}

namespace {

using json_writer = rapidjson::Writer<rapidjson::StringBuffer>;

// -- helpers -------------------------------------------------------------------------------------

std::string hex_hmac_sha256(const std::string& key, const std::string& text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest, &length))
    throw std::runtime_error("bybit_venue: HMAC failed");
  static constexpr char digits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    hex += digits[digest[i] >> 4];
    hex += digits[digest[i] & 0x0f];
  }
  return hex;
}

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

/// `count` characters of `alphabet` drawn from the bits of `seed` (splitmix64 steps).
std::string random_text(std::uint64_t seed, std::size_t count, const std::string& alphabet) {
  std::string out;
  for (std::size_t i = 0; i < count; ++i) {
    seed = splitmix64(seed);
    out += alphabet[seed % alphabet.size()];
  }
  return out;
}

/// Public: 8-4-4-4-12 hex (a UUID's shape); private: 20 lowercase letters/digits, '-', 4 more.
std::string make_conn_id(std::uint64_t seed, bool is_private) {
  if (is_private) {
    const std::string alphabet = "0123456789abcdefghijklmnopqrstuvwxyz";
    return random_text(seed, 20, alphabet) + "-" + random_text(seed + 1, 4, alphabet);
  }
  const std::string hex = "0123456789abcdef";
  return random_text(seed, 8, hex) + "-" + random_text(seed + 1, 4, hex) + "-" +
         random_text(seed + 2, 4, hex) + "-" + random_text(seed + 3, 4, hex) + "-" +
         random_text(seed + 4, 12, hex);
}

bool contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

bool equal_ignoring_case(const std::string& a, const std::string& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

void put(json_writer& w, const char* key, const std::string& value) {
  w.Key(key);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

/// The auth request's expires: an integer, or a string of decimal digits; nullopt otherwise.
std::optional<std::int64_t> expires_of(const rapidjson::Value& value) {
  if (value.IsInt64())
    return value.GetInt64();
  if (!value.IsString())
    return std::nullopt;
  const std::string s{value.GetString(), value.GetStringLength()};
  if (s.empty() || s.size() > 18 ||
      !std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) != 0; }))
    return std::nullopt;
  return std::stoll(s);
}

// -- the venue -----------------------------------------------------------------------------------

struct bybit_context {
  bybit_venue_options options;
  std::uint64_t seed = 0;

  std::int64_t now() const {
    if (options.now_ms)
      return options.now_ms();
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

/// One request being answered: the session's state and the request's req_id.
class bybit_request {
public:
  bybit_request(bybit_context& ctx, bybit_session& session) : ctx_{ctx}, session_{session} {}

  std::vector<frame> answer(const std::string& text) {
    rapidjson::Document doc;
    if (!zenws::detail::parse_json(doc, text) || !doc.IsObject())
      return status(false, "Params Error", nullptr);
    if (const auto it = doc.FindMember("req_id"); it != doc.MemberEnd())
      req_id_ = &it->value;
    const auto op = doc.FindMember("op");
    if (op == doc.MemberEnd() || !op->value.IsString())
      return status(false, "Params Error", nullptr);
    const std::string name{op->value.GetString(), op->value.GetStringLength()};
    const auto args = doc.FindMember("args");
    const rapidjson::Value* args_value = args == doc.MemberEnd() ? nullptr : &args->value;
    if (name == "ping")
      return ping();
    if (name == "auth")
      return auth(args_value);
    if (name == "subscribe" || name == "unsubscribe")
      return subscription(name, args_value);
    return status(false, "error:handler not found,op:" + name, &name);
  }

private:
  std::vector<frame> reply(std::string text) { return {frame{0, false, std::move(text)}}; }

  void put_req_id(json_writer& w, bool always) {
    if (req_id_) {
      w.Key("req_id");
      req_id_->Accept(w);
    } else if (always) {
      put(w, "req_id", "");
    }
  }

  /// `{"success":..,"ret_msg":..,"conn_id":..,"req_id":..,"op":..}`: `op` when known.
  std::vector<frame> status(bool success, const std::string& message, const std::string* op) {
    rapidjson::StringBuffer buffer;
    json_writer w{buffer};
    w.StartObject();
    w.Key("success");
    w.Bool(success);
    put(w, "ret_msg", message);
    put(w, "conn_id", session_.conn_id);
    put_req_id(w, false);
    if (op)
      put(w, "op", *op);
    w.EndObject();
    return reply(buffer.GetString());
  }

  // -- ping --------------------------------------------------------------------------------------

  std::vector<frame> ping() {
    rapidjson::StringBuffer buffer;
    json_writer w{buffer};
    w.StartObject();
    if (ctx_.options.private_endpoint) {
      put_req_id(w, false);
      put(w, "op", "pong");
      w.Key("args");
      w.StartArray();
      const auto now = std::to_string(ctx_.now());
      w.String(now.data(), static_cast<rapidjson::SizeType>(now.size()));
      w.EndArray();
      put(w, "conn_id", session_.conn_id);
    } else {
      w.Key("success");
      w.Bool(true);
      put(w, "ret_msg", "pong");
      put(w, "conn_id", session_.conn_id);
      put_req_id(w, true);
      put(w, "op", "ping");
    }
    w.EndObject();
    return reply(buffer.GetString());
  }

  // -- auth --------------------------------------------------------------------------------------

  std::vector<frame> auth_answer(bool success, const std::string& message) {
    rapidjson::StringBuffer buffer;
    json_writer w{buffer};
    w.StartObject();
    if (ctx_.options.echo_auth_req_id)
      put_req_id(w, false);
    w.Key("success");
    w.Bool(success);
    put(w, "ret_msg", message);
    put(w, "op", "auth");
    put(w, "conn_id", session_.conn_id);
    w.EndObject();
    return reply(buffer.GetString());
  }

  std::vector<frame> auth(const rapidjson::Value* args) {
    const auto& o = ctx_.options;
    if (!o.private_endpoint)
      return auth_answer(false, "Request not authorized");
    if (!args || !args->IsArray() || args->Size() != 3 || !(*args)[0].IsString() ||
        !(*args)[2].IsString())
      return auth_answer(false, "Params Error");
    const auto expires = expires_of((*args)[1]);
    if (!expires)
      return auth_answer(false, "Params Error");
    if (*expires <= ctx_.now())
      return auth_answer(false, "Params Error");
    const std::string key{(*args)[0].GetString(), (*args)[0].GetStringLength()};
    const std::string sign{(*args)[2].GetString(), (*args)[2].GetStringLength()};
    const auto expected = hex_hmac_sha256(o.api_secret, "GET/realtime" + std::to_string(*expires));
    if (key != o.api_key || !equal_ignoring_case(sign, expected))
      return auth_answer(false, "Request not authorized");
    session_.authenticated = true;
    return auth_answer(true, "");
  }

  // -- subscribe, unsubscribe --------------------------------------------------------------------

  /// "" when the topic exists on this endpoint, else the failure message.
  std::string check_topic(const std::string& topic) const {
    const auto& o = ctx_.options;
    if (o.private_endpoint) {
      if (contains(o.private_topics, topic))
        return {};
    } else {
      for (const auto& prefix : o.public_topics) {
        if (topic.size() > prefix.size() + 1 && topic.compare(0, prefix.size(), prefix) == 0 &&
            topic[prefix.size()] == '.') {
          if (contains(o.symbols, topic.substr(prefix.size() + 1)))
            return {};
          return "Invalid symbol :[" + topic + "]";
        }
      }
    }
    return "error:handler not found,topic:" + topic;
  }

  std::vector<frame> subscription(const std::string& op, const rapidjson::Value* args) {
    const auto& o = ctx_.options;
    if (!args || !args->IsArray() || args->Empty())
      return status(false, "Params Error", &op);
    std::vector<std::string> topics;
    for (const auto& arg : args->GetArray()) {
      if (!arg.IsString())
        return status(false, "Params Error", &op);
      topics.emplace_back(arg.GetString(), arg.GetStringLength());
    }
    if (o.private_endpoint && !session_.authenticated)
      return status(false, "Request not authorized", &op);
    auto& subscribed = session_.topics;
    std::size_t length = 0;
    for (const auto& topic : subscribed)
      length += topic.size();
    for (std::size_t i = 0; i < topics.size(); ++i) {
      const auto& topic = topics[i];
      if (auto failure = check_topic(topic); !failure.empty())
        return status(false, failure, &op);
      if (op != "subscribe")
        continue;
      if (contains(subscribed, topic) ||
          std::find(topics.begin(), topics.begin() + static_cast<std::ptrdiff_t>(i), topic) !=
              topics.begin() + static_cast<std::ptrdiff_t>(i))
        return status(false, "error:already subscribed,topic:" + topic, &op);
      length += topic.size();
    }
    if (op == "subscribe" && !o.private_endpoint && o.max_args_chars != 0 &&
        length > o.max_args_chars)
      return status(false, "error:args length exceeds " + std::to_string(o.max_args_chars), &op);
    for (const auto& topic : topics) {
      if (op == "subscribe")
        subscribed.push_back(topic);
      else
        subscribed.erase(std::remove(subscribed.begin(), subscribed.end(), topic),
                         subscribed.end());
    }
    return status(true, "", &op);
  }

  bybit_context& ctx_;
  bybit_session& session_;
  const rapidjson::Value* req_id_ = nullptr;
};

} // namespace

responder bybit_venue(bybit_venue_options options) {
  auto state = options.state ? options.state : std::make_shared<bybit_venue_state>();
  auto ctx = std::make_shared<bybit_context>();
  ctx->options = std::move(options);
  ctx->seed = (std::uint64_t{std::random_device{}()} << 32) ^ std::random_device{}();
  return [ctx, state](const frame& f) -> std::vector<frame> {
    if (f.binary)
      return {};
    std::vector<frame> replies;
    state->update(f.session, [&](bybit_session& session) {
      if (session.conn_id.empty())
        session.conn_id =
            make_conn_id(splitmix64(ctx->seed ^ f.session), ctx->options.private_endpoint);
      replies = bybit_request{*ctx, session}.answer(f.data);
    });
    return replies;
  };
}

std::string bybit_push(const std::string& topic, const std::string& type,
                       const std::string& data_json, std::int64_t ts_ms) {
  if (ts_ms == 0)
    ts_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  rapidjson::StringBuffer buffer;
  json_writer w{buffer};
  w.StartObject();
  put(w, "topic", topic);
  put(w, "type", type);
  w.Key("ts");
  w.Int64(ts_ms);
  w.Key("data");
  w.RawValue(data_json.data(), data_json.size(), rapidjson::kObjectType);
  w.Key("cts");
  w.Int64(ts_ms);
  w.EndObject();
  return buffer.GetString();
}

} // namespace zenws::testing
