// Venue cost functions and pools: Deribit's credit classes and tiers, Binance's 5 messages/s.

#include <doctest/doctest.h>

#include "zenws/protocol/venue_rate_limits.hpp"

using namespace std::chrono_literals;
using zenws::charges;
using zenws::rate_limiter;
using zenws::steady_time;
namespace bucket = zenws::deribit_bucket;

namespace {

const steady_time t0{std::chrono::seconds{1000}};

} // namespace

TEST_CASE("Deribit: each method is charged to its credit class") {
  CHECK(zenws::deribit_cost("public/get_time") == charges{{bucket::non_matching, 500}});
  CHECK(zenws::deribit_cost("private/get_positions") == charges{{bucket::non_matching, 500}});
  CHECK(zenws::deribit_cost("public/subscribe") == charges{{bucket::subscribe, 3000}});
  CHECK(zenws::deribit_cost("private/unsubscribe") == charges{{bucket::subscribe, 3000}});
  CHECK(zenws::deribit_cost("public/get_instruments") == charges{{bucket::get_instruments, 10000}});
  for (const char* m : {"private/buy", "private/sell", "private/edit", "private/cancel",
                        "private/cancel_all_by_instrument", "private/mass_quote"})
    CHECK_MESSAGE((zenws::deribit_cost(m) == charges{{bucket::matching_engine, 1}}), m);
  CHECK_FALSE(zenws::deribit_matching_engine("public/buy"));
  CHECK_FALSE(zenws::deribit_matching_engine("private/buyer"));
  const auto config = zenws::deribit_rate_limits();
  CHECK(validate(config).code == zenws::errc::none);
  CHECK(config.buckets[bucket::matching_engine].capacity == 20); // tier 4
  CHECK(zenws::deribit_rate_limits(zenws::deribit_tier::tier1)
            .buckets[bucket::matching_engine]
            .refill_per_second == 30);
}

TEST_CASE("Deribit: 100 requests in a burst, then 20 per second") {
  rate_limiter limiter{zenws::deribit_rate_limits(), t0};
  const auto get_time = zenws::deribit_cost("public/get_time");
  for (int i = 0; i < 100; ++i)
    REQUIRE(limiter.offer(get_time, t0).what == rate_limiter::verdict::send);
  CHECK(limiter.offer(get_time, t0).what == rate_limiter::verdict::queued);
  CHECK(*limiter.next_release(t0) == t0 + 50ms);
  // Orders draw on their own bucket: the non-matching pool being empty does not hold them.
  CHECK(limiter.offer(zenws::deribit_cost("private/buy"), t0).what ==
        rate_limiter::verdict::queued); // behind the queued get_time: order is kept
  CHECK(limiter.release(t0 + 50ms).size() == 2);
}

TEST_CASE("Binance streams: 5 messages a second, pongs included") {
  rate_limiter limiter{zenws::binance_stream_rate_limits(), t0};
  for (int i = 0; i < 4; ++i)
    REQUIRE(limiter.offer(zenws::binance_stream_cost(), t0).what == rate_limiter::verdict::send);
  limiter.debit(zenws::binance_stream_cost(), t0); // our pong to the server's ping
  CHECK(limiter.offer(zenws::binance_stream_cost(), t0).what == rate_limiter::verdict::queued);
  CHECK(*limiter.next_release(t0) == t0 + 200ms);
}
