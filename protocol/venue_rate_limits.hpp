#pragma once
/// @file
/// Venues' rate limits as rate_limiter buckets, and their cost functions (what one outgoing
/// request costs). Figures from the venues' documentation (../shared/reference/exchanges.md).
///
/// Deribit charges credits per sub-account, per class of request, from pools that refill
/// continuously; a request without enough credits is answered with 10028 and the session is
/// closed, so the client must never over-spend:
///
///     bucket             cost per request   pool      refill
///     non_matching       500                50,000    10,000/s  (20 req/s, burst 100)
///     subscribe          3,000              30,000    10,000/s  (~3.3 req/s, burst 10)
///     get_instruments    10,000             500,000   10,000/s  (1 req/s, burst 50)
///     matching_engine    1                  burst     rate      (per tier: see deribit_tier)
///
/// Binance streams accept 5 incoming messages per second per connection, pings and pongs
/// included, and disconnect with 1008 above that. A bucket of capacity C refilled r/s lets
/// C + r frames through in any one second, so the bucket is C = 1, r = 4: never more than 5 in
/// any one-second window, whichever window the venue counts in. Every frame costs 1; pongs are
/// charged with rate_limiter::debit.
///
/// Binance's WebSocket API counts REQUEST_WEIGHT per calendar minute (6,000) and ORDERS per
/// 10 s (50) and per day. The same reasoning over a window of T seconds (C + r * T <= limit)
/// gives weight C = 3,000, r = 50/s and orders C = 25, r = 2.5/s; both buckets count tenths
/// (a charge of 10 is one unit). Weight is counted per IP across connections: give each
/// connection its share.

#include <cstdint>
#include <string_view>

#include "zenws/protocol/rate_limiter.hpp"

namespace zenws {

/// Deribit's matching-engine tiers (by 7-day volume): sustained requests per second / burst.
enum class deribit_tier : std::uint8_t {
  tier1, ///< > USD 25M: 30/s, burst 100
  tier2, ///< > USD 5M: 20/s, burst 50
  tier3, ///< > USD 1M: 10/s, burst 30
  tier4, ///< <= USD 1M: 5/s, burst 20 (the default: what a new account has)
};

/// Bucket indices of deribit_rate_limits().
namespace deribit_bucket {
inline constexpr std::size_t non_matching = 0;
inline constexpr std::size_t subscribe = 1;
inline constexpr std::size_t get_instruments = 2;
inline constexpr std::size_t matching_engine = 3;
} // namespace deribit_bucket

rate_limit_config deribit_rate_limits(deribit_tier tier = deribit_tier::tier4,
                                      std::size_t max_queue = 100);

/// The credits `method` costs: public/private subscribe and unsubscribe from the subscribe
/// pool, public/get_instruments from its own, the matching-engine methods (buy, sell, edit,
/// cancel*, close_position, mass_quote, ...) from the tier's bucket, everything else 500
/// non-matching credits.
charges deribit_cost(std::string_view method);

/// True for the methods Deribit counts against the matching engine.
bool deribit_matching_engine(std::string_view method);

/// At most `per_second` frames in any one-second window (5 on spot, 10 on USD-M futures).
rate_limit_config binance_stream_rate_limits(std::uint64_t per_second = 5,
                                             std::size_t max_queue = 100);

/// Every frame to a Binance stream connection costs one message.
charges binance_stream_cost();

/// Bucket indices of binance_api_rate_limits().
namespace binance_bucket {
inline constexpr std::size_t request_weight = 0;
inline constexpr std::size_t orders = 1;
} // namespace binance_bucket

/// REQUEST_WEIGHT `weight_per_minute` a minute and ORDERS `orders_per_10s` per 10 s, never
/// exceeded in any window.
rate_limit_config binance_api_rate_limits(std::uint64_t weight_per_minute = 6000,
                                          std::uint64_t orders_per_10s = 50,
                                          std::size_t max_queue = 100);

/// The weight of a WebSocket API method (depth at its default limit of 100: 5), plus one order
/// for the methods that place one. Methods the table does not know cost 1 weight; the venue's
/// rateLimits in each answer (rpc_response::meta) carry its own count.
charges binance_api_cost(std::string_view method);

} // namespace zenws
