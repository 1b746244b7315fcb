#include "zenws/protocol/heartbeat.hpp"

#include <algorithm>
#include <utility>

namespace zenws {

namespace {

using std::chrono::duration_cast;

// Bybit's pongs: {"success":true,"ret_msg":"pong",...,"op":"ping"} on public channels and
// {"req_id":..,"op":"pong",...} on private ones. Both are short; market data is not looked at.
constexpr std::size_t max_pong_bytes = 512;

bool is_pinging(heartbeat_policy p) {
  return p == heartbeat_policy::ping_pong || p == heartbeat_policy::text_ping;
}

bool is_text_pong(std::string_view text) noexcept {
  if (text == "pong")
    return true;
  if (text.size() > max_pong_bytes)
    return false;
  return text.find(R"("op":"pong")") != std::string_view::npos ||
         text.find(R"("ret_msg":"pong")") != std::string_view::npos;
}

// True when `text` has `key`, optional whitespace, ':', optional whitespace, then `value`.
bool member_is(std::string_view text, std::string_view key, std::string_view value) noexcept {
  const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  for (auto at = text.find(key); at != std::string_view::npos; at = text.find(key, at + 1)) {
    auto i = at + key.size();
    while (i < text.size() && blank(text[i]))
      ++i;
    if (i >= text.size() || text[i] != ':')
      continue;
    ++i;
    while (i < text.size() && blank(text[i]))
      ++i;
    if (text.substr(i, value.size()) == value)
      return true;
  }
  return false;
}

} // namespace

bool may_be_heartbeat(heartbeat_policy policy, std::string_view text) noexcept {
  switch (policy) {
  case heartbeat_policy::text_ping:
    return is_text_pong(text);
  case heartbeat_policy::deribit:
    // Deribit's heartbeat notifications are short; the method member is all that matters.
    return text.size() <= max_pong_bytes && member_is(text, "\"method\"", "\"heartbeat\"");
  default:
    return false;
  }
}

heartbeat_monitor::heartbeat_monitor(heartbeat_config cfg, std::size_t rtt_ring)
    : cfg_(std::move(cfg)), rtt_(rtt_ring) {}

void heartbeat_monitor::start(steady_time now) {
  outstanding_.clear();
  last_heard_.reset();
  silence_since_ = now;
  missed_ = 0;
}

milliseconds heartbeat_monitor::tick_interval() const noexcept {
  if (cfg_.policy == heartbeat_policy::none)
    return milliseconds{0};
  if (is_pinging(cfg_.policy))
    return cfg_.interval;
  // Watching policies check four times per interval, so stale is declared at most I/4 late.
  return std::max(milliseconds{1}, cfg_.interval / 4);
}

std::optional<heartbeat_action> heartbeat_monitor::setup_request() const {
  if (cfg_.policy != heartbeat_policy::deribit)
    return std::nullopt;
  const auto seconds = duration_cast<std::chrono::seconds>(cfg_.interval).count();
  return heartbeat_action{heartbeat_action::type::send_request, "public/set_heartbeat",
                          "{\"interval\":" + std::to_string(seconds) + "}"};
}

heartbeat_action heartbeat_monitor::on_tick(steady_time now) {
  switch (cfg_.policy) {
  case heartbeat_policy::none:
    return {};
  case heartbeat_policy::ping_pong:
  case heartbeat_policy::text_ping:
    return ping_tick(now);
  case heartbeat_policy::deribit:
  case heartbeat_policy::server_ping:
    return watch_tick(now);
  }
  return {};
}

heartbeat_action heartbeat_monitor::ping_tick(steady_time now) {
  if (!outstanding_.empty()) {
    ++missed_;
    ++failures_;
    if (missed_ >= cfg_.max_missed) {
      ++stale_;
      outstanding_.clear();
      return {heartbeat_action::type::stale, {}, {}};
    }
  }
  std::string payload = cfg_.policy == heartbeat_policy::text_ping
                            ? cfg_.text_ping_message
                            : "zenws:" + std::to_string(next_ping_++);
  outstanding_.push_back({payload, now});
  if (outstanding_.size() > cfg_.max_missed)
    outstanding_.pop_front();
  ++sent_;
  const auto type = cfg_.policy == heartbeat_policy::text_ping ? heartbeat_action::type::send_text
                                                               : heartbeat_action::type::send_ping;
  return {type, std::move(payload), {}};
}

heartbeat_action heartbeat_monitor::watch_tick(steady_time now) {
  const auto missed = static_cast<std::uint32_t>((now - silence_since_) / cfg_.interval);
  if (missed > missed_)
    failures_ += missed - missed_;
  missed_ = missed;
  if (missed_ >= cfg_.max_missed) {
    ++stale_;
    silence_since_ = now; // one stale verdict per silence, not one per tick
    missed_ = 0;
    return {heartbeat_action::type::stale, {}, {}};
  }
  return {};
}

void heartbeat_monitor::heard(steady_time now) {
  last_heard_ = now;
  silence_since_ = now;
  missed_ = 0;
  ++received_;
}

void heartbeat_monitor::on_pong(std::string_view payload, steady_time now) {
  if (cfg_.policy != heartbeat_policy::ping_pong)
    return;
  const auto match = std::find_if(outstanding_.begin(), outstanding_.end(),
                                  [&](const auto& ping) { return ping.payload == payload; });
  if (match == outstanding_.end())
    return; // unsolicited, or from before a reconnect
  rtt_.record(duration_cast<std::chrono::microseconds>(now - match->sent_at));
  outstanding_.clear();
  heard(now);
}

void heartbeat_monitor::on_ping(steady_time now) {
  if (cfg_.policy == heartbeat_policy::server_ping)
    heard(now);
}

bool heartbeat_monitor::on_text(std::string_view text, const json_rpc::message& classified,
                                steady_time now, heartbeat_action& reply) {
  reply = {};
  if (cfg_.policy == heartbeat_policy::text_ping) {
    if (!is_text_pong(text))
      return false;
    if (!outstanding_.empty())
      rtt_.record(duration_cast<std::chrono::microseconds>(now - outstanding_.back().sent_at));
    outstanding_.clear();
    heard(now);
    return true;
  }
  if (cfg_.policy == heartbeat_policy::deribit) {
    if (classified.what != json_rpc::kind::notification || classified.method != "heartbeat")
      return false;
    heard(now);
    if (classified.params_type == "test_request") {
      reply = {heartbeat_action::type::send_request, "public/test", "{}"};
      ++sent_;
    }
    return true;
  }
  return false;
}

heartbeat_health heartbeat_monitor::health(steady_time now) const {
  heartbeat_health h;
  h.policy = cfg_.policy;
  if (last_heard_)
    h.since_last = duration_cast<milliseconds>(now - *last_heard_);
  h.sent = sent_;
  h.received = received_;
  h.missed = missed_;
  h.failures = failures_;
  h.stale = stale_;
  h.rtt = rtt_.summary();
  return h;
}

} // namespace zenws
