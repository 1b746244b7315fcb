#include "zenws/protocol/venue_rate_limits.hpp"

#include <algorithm>
#include <array>

namespace zenws {

namespace {

/// Deribit's matching-engine methods, without the "private/" prefix.
constexpr std::array<std::string_view, 16> matching_engine_methods = {
    "buy",
    "sell",
    "edit",
    "edit_by_label",
    "cancel",
    "cancel_by_label",
    "cancel_all",
    "cancel_all_by_instrument",
    "cancel_all_by_currency",
    "cancel_all_by_kind_or_type",
    "close_position",
    "verify_block_trade",
    "execute_block_trade",
    "move_positions",
    "mass_quote",
    "cancel_quotes",
};

struct tier_limits {
  std::uint64_t burst;
  std::uint64_t rate;
};

tier_limits limits_of(deribit_tier tier) {
  switch (tier) {
  case deribit_tier::tier1:
    return {100, 30};
  case deribit_tier::tier2:
    return {50, 20};
  case deribit_tier::tier3:
    return {30, 10};
  case deribit_tier::tier4:
    break;
  }
  return {20, 5};
}

} // namespace

bool deribit_matching_engine(std::string_view method) {
  constexpr std::string_view prefix = "private/";
  if (method.substr(0, prefix.size()) != prefix)
    return false;
  method.remove_prefix(prefix.size());
  return std::find(matching_engine_methods.begin(), matching_engine_methods.end(), method) !=
         matching_engine_methods.end();
}

rate_limit_config deribit_rate_limits(deribit_tier tier, std::size_t max_queue) {
  const auto me = limits_of(tier);
  rate_limit_config config;
  config.buckets = {{"non_matching", 50'000, 10'000},
                    {"subscribe", 30'000, 10'000},
                    {"get_instruments", 500'000, 10'000},
                    {"matching_engine", me.burst, me.rate}};
  config.max_queue = max_queue;
  return config;
}

charges deribit_cost(std::string_view method) {
  if (method == "public/subscribe" || method == "private/subscribe" ||
      method == "public/unsubscribe" || method == "private/unsubscribe")
    return {{deribit_bucket::subscribe, 3'000}};
  if (method == "public/get_instruments")
    return {{deribit_bucket::get_instruments, 10'000}};
  if (deribit_matching_engine(method))
    return {{deribit_bucket::matching_engine, 1}};
  return {{deribit_bucket::non_matching, 500}};
}

rate_limit_config binance_stream_rate_limits(std::uint64_t per_second, std::size_t max_queue) {
  rate_limit_config config;
  config.buckets = {{"messages", 1, std::max<std::uint64_t>(1, per_second - 1)}};
  config.max_queue = max_queue;
  return config;
}

charges binance_stream_cost() {
  return {{0, 1}};
}

rate_limit_config binance_api_rate_limits(std::uint64_t weight_per_minute,
                                          std::uint64_t orders_per_10s, std::size_t max_queue) {
  // Both buckets count tenths, so that half a limit and its refill stay exact enough; refills
  // round down, which only ever admits less.
  rate_limit_config config;
  config.buckets = {{"request_weight_tenths", std::max<std::uint64_t>(10, weight_per_minute * 5),
                     std::max<std::uint64_t>(1, weight_per_minute / 12)},
                    {"orders_tenths", std::max<std::uint64_t>(10, orders_per_10s * 5),
                     std::max<std::uint64_t>(1, orders_per_10s / 2)}};
  config.max_queue = max_queue;
  return config;
}

charges binance_api_cost(std::string_view method) {
  struct weight {
    std::string_view method;
    std::uint64_t weight;
    bool order;
  };
  // ../shared/reference/exchanges.md section 2.2.
  static constexpr weight table[] = {
      {"ping", 1, false},
      {"time", 1, false},
      {"depth", 5, false},
      {"order.place", 1, true},
      {"order.test", 1, false},
      {"order.cancel", 1, false},
      {"order.cancelReplace", 1, true},
      {"session.logon", 2, false},
      {"session.status", 2, false},
      {"session.logout", 2, false},
      {"userDataStream.subscribe", 2, false},
  };
  // Binance accepts version-prefixed methods ("v3/order.place").
  if (const auto slash = method.find('/'); slash != std::string_view::npos)
    method.remove_prefix(slash + 1);
  for (const auto& row : table)
    if (row.method == method) {
      charges out{{binance_bucket::request_weight, row.weight * 10}};
      if (row.order)
        out.push_back({binance_bucket::orders, 10});
      return out;
    }
  return {{binance_bucket::request_weight, 10}};
}

} // namespace zenws
