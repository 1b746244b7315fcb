// contains: the SIMD token search agrees with std::string_view::find everywhere.

#include <doctest/doctest.h>

#include <random>
#include <string>
#include <string_view>

#include "zenws/protocol/substring.hpp"

using zenws::contains;

TEST_CASE("contains finds tokens in market data and misses absent ones") {
  const std::string trade =
      R"({"channel":"trades.BTC-PERPETUAL","data":{"price":64321.5,"amount":120,"pad":"xx"}})";
  CHECK_FALSE(contains(trade, "\"id\""));
  CHECK(contains(trade, "\"price\""));
  CHECK(contains(trade, "\"pad\""));
  CHECK(contains(trade, "}}"));                 // the last two bytes: the overlapping last block
  CHECK(contains(trade, "{\"channel\""));       // at the very start
  CHECK_FALSE(contains(trade, "\"channel\"!")); // a near miss on the last byte
  CHECK(contains(trade + R"({"id":7})", "\"id\""));
  CHECK(contains("", ""));
  CHECK(contains("abc", ""));
  CHECK_FALSE(contains("", "a"));
  CHECK_FALSE(contains("ab", "abc"));
  CHECK(contains("abc", "abc"));
}

TEST_CASE("contains agrees with find on random texts, needles and lengths") {
  std::mt19937 rng{20261202};
  // A three-letter alphabet makes partial matches (first bytes right, last wrong) common.
  auto random_text = [&](std::size_t n) {
    std::string s(n, 'a');
    for (auto& c : s)
      c = static_cast<char>('a' + rng() % 3);
    return s;
  };
  int found = 0;
  for (int round = 0; round < 20000; ++round) {
    const auto text = random_text(rng() % 100);
    std::string needle;
    if (!text.empty() && rng() % 2 == 0) { // a piece of the text: found
      const auto from = rng() % text.size();
      needle = text.substr(from, 1 + rng() % 12);
    } else {
      needle = random_text(rng() % 12);
    }
    const bool expected = std::string_view{text}.find(needle) != std::string_view::npos;
    INFO("text=" << text << " needle=" << needle);
    REQUIRE(contains(text, needle) == expected);
    found += expected ? 1 : 0;
  }
  CHECK(found > 5000); // both outcomes were exercised many times
  CHECK(found < 15000);
}
