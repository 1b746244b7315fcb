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
/// included, and disconnect with 1008 above that: one bucket of 5 refilled 5/s, every frame
/// costs 1, pongs charged with rate_limiter::debit.

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

rate_limit_config binance_stream_rate_limits(std::size_t max_queue = 100);

/// Every frame to a Binance stream connection costs one message.
charges binance_stream_cost();

} // namespace zenws
