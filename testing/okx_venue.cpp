// The OKX v5 venue responder: request envelope, login, (un)subscribe, order. Rules are listed in
// okx_venue.hpp; this file follows that list top to bottom.

#include "zenws/testing/okx_venue.hpp"

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

okx_session okx_venue_state::session(session_id id) const {
  std::lock_guard<std::mutex> lock{mutex_};
  const auto it = sessions_.find(id);
  return it == sessions_.end() ? okx_session{} : it->second;
}

std::vector<session_id> okx_venue_state::sessions() const {
  std::lock_guard<std::mutex> lock{mutex_};
  std::vector<session_id> ids;
  for (const auto& entry : sessions_)
    ids.push_back(entry.first);
  return ids;
}

void okx_venue_state::update(session_id id, const std::function<void(okx_session&)>& change) {
  std::lock_guard<std::mutex> lock{mutex_};
  change(sessions_[id]);
}

namespace {

using json_writer = rapidjson::Writer<rapidjson::StringBuffer>;

// -- helpers -------------------------------------------------------------------------------------

std::string base64_hmac_sha256(const std::string& key, const std::string& text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest, &length))
    throw std::runtime_error("okx_venue: HMAC failed");
  std::string encoded(4 * ((length + 2) / 3) + 1, '\0');
  const auto n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()), digest,
                                 static_cast<int>(length));
  encoded.resize(static_cast<std::size_t>(n));
  return encoded;
}

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::string hex8(std::uint64_t value) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(8, '0');
  for (int i = 7; i >= 0; --i, value >>= 4)
    out[static_cast<std::size_t>(i)] = digits[value & 0xf];
  return out;
}

bool contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

bool is_digits(const std::string& s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

/// "1", "0.5", "100.25": digits with at most one '.', some digit not zero.
bool is_positive_decimal(const std::string& s) {
  if (s.empty() || s.front() == '.' || s.back() == '.')
    return false;
  bool dot = false;
  bool nonzero = false;
  for (const char c : s) {
    if (c == '.') {
      if (dot)
        return false;
      dot = true;
    } else if (std::isdigit(static_cast<unsigned char>(c)) == 0) {
      return false;
    } else if (c != '0') {
      nonzero = true;
    }
  }
  return nonzero;
}

void put(json_writer& w, const char* key, const std::string& value) {
  w.Key(key);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

/// The string member `key` of an object, or nullopt (missing or not a string).
std::optional<std::string> string_member(const rapidjson::Value& object, const char* key) {
  const auto it = object.FindMember(key);
  if (it == object.MemberEnd() || !it->value.IsString())
    return std::nullopt;
  return std::string{it->value.GetString(), it->value.GetStringLength()};
}

/// An object whose members are all strings, as OKX args are.
bool is_string_object(const rapidjson::Value& value) {
  if (!value.IsObject())
    return false;
  return std::all_of(value.MemberBegin(), value.MemberEnd(),
                     [](const auto& member) { return member.value.IsString(); });
}

// -- the venue -----------------------------------------------------------------------------------

struct okx_context {
  okx_venue_options options;
  std::uint64_t seed = 0;
  std::uint64_t next_order_id = 1;

  std::int64_t now() const {
    if (options.now_seconds)
      return options.now_seconds();
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

/// One request being answered: the session's state and the replies so far.
class okx_request {
public:
  okx_request(okx_context& ctx, okx_session& session) : ctx_{ctx}, session_{session} {}

  std::vector<frame> answer(const std::string& text) {
    if (text == "ping")
      return reply("pong");
    rapidjson::Document doc;
    if (!zenws::detail::parse_json(doc, text) || !doc.IsObject())
      return invalid_request(text);
    if (const auto it = doc.FindMember("id"); it != doc.MemberEnd()) {
      if (!it->value.IsString() || !is_valid_id(it->value))
        return invalid_request(text);
      id_ = std::string{it->value.GetString(), it->value.GetStringLength()};
    }
    const auto op = string_member(doc, "op");
    if (!op)
      return invalid_request(text);
    if (*op != "login" && *op != "subscribe" && *op != "unsubscribe" && *op != "order")
      return error("60019", "Invalid op: " + *op);
    const auto args = doc.FindMember("args");
    if (args == doc.MemberEnd() || !args->value.IsArray())
      return invalid_request(text);
    if (*op == "order")
      return order(args->value);
    if (*op == "login" && !ctx_.options.echo_login_id)
      id_.reset();
    if (!count_op())
      return error("60014", "Requests too frequent.");
    if (*op == "login")
      return login(args->value);
    return subscription(*op, args->value);
  }

private:
  static bool is_valid_id(const rapidjson::Value& id) {
    const std::string s{id.GetString(), id.GetStringLength()};
    return s.size() <= 32 &&
           std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isalnum(c) != 0; });
  }

  std::vector<frame> reply(std::string text) { return {frame{0, false, std::move(text)}}; }

  void begin(json_writer& w) {
    w.StartObject();
    if (id_)
      put(w, "id", *id_);
  }

  std::vector<frame> error(const std::string& code, const std::string& msg) {
    rapidjson::StringBuffer buffer;
    json_writer w{buffer};
    begin(w);
    put(w, "event", "error");
    put(w, "code", code);
    put(w, "msg", msg);
    put(w, "connId", session_.conn_id);
    w.EndObject();
    return reply(buffer.GetString());
  }

  std::vector<frame> invalid_request(const std::string& text) {
    id_.reset();
    return error("60012", "Invalid request: " + text);
  }

  /// Counts a login/(un)subscribe request in the sliding hour; false when over the limit.
  bool count_op() {
    const auto now = ctx_.now();
    auto& times = session_.op_times;
    times.erase(std::remove_if(times.begin(), times.end(),
                               [now](std::int64_t t) { return t <= now - 3600; }),
                times.end());
    if (ctx_.options.max_ops_per_hour != 0 && times.size() >= ctx_.options.max_ops_per_hour)
      return false;
    times.push_back(now);
    return true;
  }

  // -- login -------------------------------------------------------------------------------------

  std::vector<frame> login(const rapidjson::Value& args) {
    if (args.Size() != 1 || !args[0].IsObject())
      return error("60013", "Invalid args");
    const auto& arg = args[0];
    const auto key = string_member(arg, "apiKey");
    const auto passphrase = string_member(arg, "passphrase");
    const auto timestamp = string_member(arg, "timestamp");
    const auto sign = string_member(arg, "sign");
    if (!key || !passphrase || !timestamp || !sign)
      return error("60013", "Invalid args");
    const auto& o = ctx_.options;
    if (*key != o.api_key)
      return error("60005", "Invalid OK-ACCESS-KEY");
    if (*passphrase != o.passphrase)
      return error("60024", "Wrong passphrase");
    if (!is_digits(*timestamp) || timestamp->size() > 18)
      return error("60004", "Invalid timestamp");
    const auto seconds = std::stoll(*timestamp);
    const auto now = ctx_.now();
    if (seconds < now - o.login_window_s || seconds > now + o.login_window_s)
      return error("60006", "Timestamp request expired");
    if (*sign != base64_hmac_sha256(o.secret_key, *timestamp + "GET" + "/users/self/verify"))
      return error("60007", "Invalid sign");
    if (session_.logged_in)
      return error("60031", "The WebSocket endpoint does not allow multiple or repeated logins.");
    session_.logged_in = true;
    rapidjson::StringBuffer buffer;
    json_writer w{buffer};
    begin(w);
    put(w, "event", "login");
    put(w, "code", "0");
    put(w, "msg", "");
    put(w, "connId", session_.conn_id);
    w.EndObject();
    return reply(buffer.GetString());
  }

  // -- subscribe, unsubscribe --------------------------------------------------------------------

  /// nullopt when the arg may be (un)subscribed, else the error to answer.
  std::optional<std::vector<frame>> check_arg(const rapidjson::Value& arg) {
    if (!is_string_object(arg))
      return error("60013", "Invalid args");
    const auto channel = string_member(arg, "channel");
    if (!channel)
      return error("60013", "Invalid args");
    const auto inst_id = string_member(arg, "instId");
    const auto& o = ctx_.options;
    const auto wrong = [&] {
      return error("60018", "Wrong URL or channel:" + *channel + ",instId:" + inst_id.value_or("") +
                                " doesn't exist.");
    };
    if (!contains(o.channels, *channel))
      return wrong();
    const bool is_private = contains(o.private_channels, *channel);
    if (is_private && !session_.logged_in)
      return error("60011", "Please log in");
    if (!is_private && !inst_id)
      return error("60013", "Invalid args");
    if (inst_id && !contains(o.instruments, *inst_id))
      return wrong();
    return std::nullopt;
  }

  static okx_subscription subscription_of(const rapidjson::Value& arg) {
    okx_subscription s;
    for (auto it = arg.MemberBegin(); it != arg.MemberEnd(); ++it)
      s.members[it->name.GetString()] = it->value.GetString();
    s.channel = s.members["channel"];
    if (const auto inst = s.members.find("instId"); inst != s.members.end())
      s.inst_id = inst->second;
    return s;
  }

  std::vector<frame> subscription(const std::string& op, const rapidjson::Value& args) {
    if (args.Empty())
      return error("60013", "Invalid args");
    for (const auto& arg : args.GetArray())
      if (auto failure = check_arg(arg))
        return std::move(*failure);
    std::vector<frame> acks;
    auto& subs = session_.subscriptions;
    for (const auto& arg : args.GetArray()) {
      auto s = subscription_of(arg);
      const auto it = std::find(subs.begin(), subs.end(), s);
      if (op == "subscribe" && it == subs.end())
        subs.push_back(std::move(s));
      else if (op == "unsubscribe" && it != subs.end())
        subs.erase(it);
      rapidjson::StringBuffer buffer;
      json_writer w{buffer};
      begin(w);
      put(w, "event", op);
      w.Key("arg");
      arg.Accept(w);
      put(w, "connId", session_.conn_id);
      w.EndObject();
      acks.push_back(frame{0, false, buffer.GetString()});
    }
    return acks;
  }

  // -- order -------------------------------------------------------------------------------------

  /// The sCode and sMsg of the order's first failing check; nullopt when it is valid.
  std::optional<std::pair<std::string, std::string>> check_order(const okx_order& order,
                                                                 bool has_px) const {
    const auto param = [](const char* name) {
      return std::make_pair(std::string{"51000"}, "Parameter " + std::string{name} + " error");
    };
    if (!contains(ctx_.options.instruments, order.inst_id))
      return std::make_pair(std::string{"51001"}, std::string{"Instrument ID does not exist"});
    if (order.td_mode != "cash" && order.td_mode != "cross" && order.td_mode != "isolated")
      return param("tdMode");
    if (order.side != "buy" && order.side != "sell")
      return param("side");
    static const std::vector<std::string> types{"market", "limit", "post_only", "fok", "ioc"};
    if (!contains(types, order.ord_type))
      return param("ordType");
    if (!is_positive_decimal(order.sz))
      return param("sz");
    if (order.ord_type != "market" && (!has_px || !is_positive_decimal(order.px)))
      return param("px");
    return std::nullopt;
  }

  std::vector<frame> order(const rapidjson::Value& args) {
    if (!session_.logged_in)
      return error("60011", "Please log in");
    if (args.Size() != 1 || !is_string_object(args[0]))
      return error("60013", "Invalid args");
    const auto& arg = args[0];
    const auto field = [&arg](const char* name) { return string_member(arg, name).value_or(""); };
    okx_order order{"",
                    field("clOrdId"),
                    field("instId"),
                    field("tdMode"),
                    field("side"),
                    field("ordType"),
                    field("sz"),
                    field("px")};
    const auto failure = check_order(order, arg.HasMember("px"));
    if (!failure) {
      order.ord_id = std::to_string(ctx_.next_order_id++);
      session_.orders.push_back(order);
    }
    rapidjson::StringBuffer buffer;
    json_writer w{buffer};
    begin(w);
    put(w, "op", "order");
    put(w, "code", failure ? "1" : "0");
    put(w, "msg", failure ? "Operation failed." : "");
    w.Key("data");
    w.StartArray();
    w.StartObject();
    put(w, "ordId", order.ord_id);
    put(w, "clOrdId", order.cl_ord_id);
    put(w, "tag", field("tag"));
    put(w, "sCode", failure ? failure->first : "0");
    put(w, "sMsg", failure ? failure->second : "Order placed");
    w.EndObject();
    w.EndArray();
    w.EndObject();
    return reply(buffer.GetString());
  }

  okx_context& ctx_;
  okx_session& session_;
  std::optional<std::string> id_;
};

} // namespace

responder okx_venue(okx_venue_options options) {
  auto state = options.state ? options.state : std::make_shared<okx_venue_state>();
  auto ctx = std::make_shared<okx_context>();
  ctx->options = std::move(options);
  ctx->seed = std::random_device{}();
  return [ctx, state](const frame& f) -> std::vector<frame> {
    if (f.binary)
      return {};
    std::vector<frame> replies;
    state->update(f.session, [&](okx_session& session) {
      if (session.conn_id.empty())
        session.conn_id = hex8(splitmix64(ctx->seed ^ f.session));
      replies = okx_request{*ctx, session}.answer(f.data);
    });
    return replies;
  };
}

std::string okx_push(const std::string& channel, const std::string& inst_id,
                     const std::string& data_json_array, const std::string& action) {
  rapidjson::StringBuffer buffer;
  json_writer w{buffer};
  w.StartObject();
  w.Key("arg");
  w.StartObject();
  put(w, "channel", channel);
  put(w, "instId", inst_id);
  w.EndObject();
  if (!action.empty())
    put(w, "action", action);
  w.Key("data");
  w.RawValue(data_json_array.data(), data_json_array.size(), rapidjson::kArrayType);
  w.EndObject();
  return buffer.GetString();
}

std::string okx_notice_64008(const std::string& conn_id) {
  rapidjson::StringBuffer buffer;
  json_writer w{buffer};
  w.StartObject();
  put(w, "event", "notice");
  put(w, "code", "64008");
  put(w, "msg", "The connection will soon be closed for a service upgrade. Please reconnect.");
  put(w, "connId", conn_id);
  w.EndObject();
  return buffer.GetString();
}

} // namespace zenws::testing
