// Venue cost functions and pools: Deribit's credit classes and tiers, Binance's 5 messages/s.

#include <doctest/doctest.h>

#include <vector>

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

TEST_CASE("Binance streams: never more than 5 frames in any one-second window, pongs included") {
  rate_limiter limiter{zenws::binance_stream_rate_limits(), t0};
  // Offer a frame every millisecond for 3 s; whatever is admitted must fit every window.
  std::vector<steady_time> sent;
  for (int ms = 0; ms < 3000; ++ms) {
    const auto t = t0 + std::chrono::milliseconds{ms};
    if (ms % 400 == 0) {
      limiter.debit(zenws::binance_stream_cost(), t); // our pong to a server ping: it goes anyway
      sent.push_back(t);
    }
    if (limiter.offer(zenws::binance_stream_cost(), t).what == rate_limiter::verdict::send)
      sent.push_back(t);
    else
      limiter.drain();
  }
  CHECK(sent.size() > 10); // it does let frames through
  for (std::size_t i = 0; i < sent.size(); ++i) {
    std::size_t in_window = 0;
    for (std::size_t j = i; j < sent.size() && sent[j] - sent[i] < 1000ms; ++j)
      ++in_window;
    CHECK(in_window <= 5);
  }
}

TEST_CASE("Binance WebSocket API: weight and orders never exceed their windows") {
  rate_limiter limiter{zenws::binance_api_rate_limits(60, 5), t0};
  // Both buckets count tenths.
  CHECK(zenws::binance_api_cost("depth") == charges{{zenws::binance_bucket::request_weight, 50}});
  CHECK(zenws::binance_api_cost("v3/order.place") ==
        charges{{zenws::binance_bucket::request_weight, 10}, {zenws::binance_bucket::orders, 10}});
  CHECK(zenws::binance_api_cost("unknown.method") ==
        charges{{zenws::binance_bucket::request_weight, 10}});
  // Orders as fast as admitted for 30 s: at most 5 in any 10 s and 60 weight in any 60 s.
  std::vector<steady_time> orders;
  for (int ms = 0; ms < 30000; ms += 5) {
    const auto t = t0 + std::chrono::milliseconds{ms};
    if (limiter.offer(zenws::binance_api_cost("order.place"), t).what ==
        rate_limiter::verdict::send)
      orders.push_back(t);
    else
      limiter.drain();
  }
  CHECK(orders.size() >= 7); // 2 at once, then one every 4-5 s
  for (std::size_t i = 0; i < orders.size(); ++i) {
    std::size_t in_window = 0;
    for (std::size_t j = i; j < orders.size() && orders[j] - orders[i] < 10000ms; ++j)
      ++in_window;
    CHECK(in_window <= 5);
  }
}
