// The Deribit order book on hand-written notifications: snapshots, deltas, the change_id
// sequence, what it ignores and what breaks it; then random deltas against a reference model.
#include "zenws/adapters/deribit_order_book.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <iterator>
#include <limits>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

using zenws::deribit::book_level;
using zenws::deribit::book_update;
using zenws::deribit::order_book;

namespace {

constexpr const char btc[] = "book.BTC-PERPETUAL.100ms";
constexpr const char btc_top10[] = "book.BTC-PERPETUAL.none.10.100ms";

/// A subscription notification of `channel` carrying `data`.
std::string note(const std::string& channel, const std::string& data) {
  return R"({"jsonrpc":"2.0","method":"subscription","params":{"channel":")" + channel +
         R"(","data":)" + data + "}}";
}

// The two messages of the wire facts, verbatim.
constexpr const char wire_snapshot[] =
    R"({"jsonrpc":"2.0","method":"subscription","params":{"channel":"book.BTC-PERPETUAL.100ms",)"
    R"("data":{"type":"snapshot","instrument_name":"BTC-PERPETUAL","timestamp":1699999999000,)"
    R"("change_id":123456789,"bids":[["new",50000.0,10.5],["new",49999.5,5.2]],)"
    R"("asks":[["new",50001.0,8.3]]}}})";
constexpr const char wire_change[] =
    R"({"jsonrpc":"2.0","method":"subscription","params":{"channel":"book.BTC-PERPETUAL.100ms",)"
    R"("data":{"type":"change","instrument_name":"BTC-PERPETUAL","timestamp":1699999999100,)"
    R"("change_id":123456790,"prev_change_id":123456789,)"
    R"("bids":[["change",50000.0,9.8],["delete",49999.5,0]],"asks":[["new",50002.0,3.5]]}}})";

/// A delta on `btc` from `prev` to `id`.
std::string delta(std::int64_t prev, std::int64_t id, const std::string& bids,
                  const std::string& asks) {
  return note(btc, R"({"change_id":)" + std::to_string(id) + R"(,"prev_change_id":)" +
                       std::to_string(prev) + R"(,"bids":)" + bids + R"(,"asks":)" + asks + "}");
}

/// A snapshot on `btc` with change id `id`.
std::string snapshot(std::int64_t id, const std::string& bids, const std::string& asks) {
  return note(btc, R"({"change_id":)" + std::to_string(id) + R"(,"bids":)" + bids + R"(,"asks":)" +
                       asks + "}");
}

using levels = std::vector<std::pair<double, double>>;

levels pairs(const std::vector<book_level>& side) {
  levels out;
  for (const auto& l : side)
    out.emplace_back(l.price, l.amount);
  return out;
}

levels all_bids(const order_book& b) {
  return pairs(b.bids(std::numeric_limits<std::size_t>::max()));
}

levels all_asks(const order_book& b) {
  return pairs(b.asks(std::numeric_limits<std::size_t>::max()));
}

/// A book on `btc` holding the wire snapshot.
order_book btc_book() {
  order_book b{btc};
  REQUIRE(b.apply(wire_snapshot) == book_update::snapshot);
  return b;
}

/// True when the book is empty, invalid and at change id 0 (as after a failure or clear()).
bool emptied(const order_book& b) {
  return !b.valid() && b.change_id() == 0 && b.bid_levels() == 0 && b.ask_levels() == 0 &&
         !b.best_bid() && !b.best_ask();
}

} // namespace

TEST_CASE("deribit book: the wire snapshot, then a delta with new, change and delete") {
  order_book b{btc};
  CHECK(b.channel() == btc);
  CHECK(b.instrument() == "BTC-PERPETUAL");
  CHECK_FALSE(b.grouped());
  CHECK_FALSE(b.valid());
  CHECK(b.change_id() == 0);

  REQUIRE(b.apply(wire_snapshot) == book_update::snapshot);
  CHECK(b.valid());
  CHECK(b.change_id() == 123456789);
  CHECK(all_bids(b) == levels{{50000.0, 10.5}, {49999.5, 5.2}});
  CHECK(all_asks(b) == levels{{50001.0, 8.3}});
  REQUIRE(b.best_bid());
  CHECK(b.best_bid()->price == 50000.0);
  CHECK(b.best_bid()->amount == 10.5);
  REQUIRE(b.best_ask());
  CHECK(b.best_ask()->price == 50001.0);

  REQUIRE(b.apply(wire_change) == book_update::applied);
  CHECK(b.valid());
  CHECK(b.change_id() == 123456790);
  CHECK(all_bids(b) == levels{{50000.0, 9.8}});
  CHECK(all_asks(b) == levels{{50001.0, 8.3}, {50002.0, 3.5}});
  CHECK(b.bid_levels() == 1);
  CHECK(b.ask_levels() == 2);
  CHECK(b.best_bid()->amount == 9.8);
  CHECK(b.gaps() == 0);

  // Deltas may leave a side out or send it empty.
  CHECK(b.apply(note(btc, R"({"change_id":123456791,"prev_change_id":123456790,)"
                          R"("bids":[["new",49990,1]]})")) == book_update::applied);
  CHECK(b.apply(delta(123456791, 123456792, "[]", "[]")) == book_update::applied);
  CHECK(all_bids(b) == levels{{50000.0, 9.8}, {49990.0, 1.0}});
  CHECK(b.change_id() == 123456792);
}

TEST_CASE("deribit book: integer prices and amounts name the same levels as decimals") {
  order_book b{btc};
  REQUIRE(b.apply(snapshot(10, R"([["new",50000,10],["new",49999.5,2]])",
                           R"([["new",50001,7]])")) == book_update::snapshot);
  CHECK(all_bids(b) == levels{{50000.0, 10.0}, {49999.5, 2.0}});
  CHECK(b.apply(delta(10, 11, R"([["change",50000.0,4],["delete",49999.50,0.0]])",
                      R"([["delete",50001.000,0]])")) == book_update::applied);
  CHECK(all_bids(b) == levels{{50000.0, 4.0}});
  CHECK(b.ask_levels() == 0);
  CHECK(b.apply(delta(11, 12, "[]", R"([["new",5.0001e4,1e1]])")) == book_update::applied);
  CHECK(all_asks(b) == levels{{50001.0, 10.0}});
}

TEST_CASE("deribit book: a snapshot is known by its prev_change_id, absent or null, not by type") {
  order_book b{btc};
  SUBCASE("prev_change_id null") {
    CHECK(b.apply(note(btc, R"({"type":"snapshot","change_id":5,"prev_change_id":null,)"
                            R"("bids":[["new",100,1]],"asks":[["new",101,1]]})")) ==
          book_update::snapshot);
  }
  SUBCASE("no type") {
    CHECK(b.apply(note(btc, R"({"change_id":5,"bids":[["new",100,1]],"asks":[["new",101,1]]})")) ==
          book_update::snapshot);
  }
  SUBCASE("a type that says change") {
    CHECK(b.apply(note(btc, R"({"type":"change","change_id":5,"bids":[["new",100,1]],)"
                            R"("asks":[["new",101,1]]})")) == book_update::snapshot);
  }
  CHECK(b.valid());
  CHECK(b.change_id() == 5);
  CHECK(all_bids(b) == levels{{100.0, 1.0}});
  // A delta without type follows it; one that says "snapshot" but has a prev_change_id is a delta.
  CHECK(b.apply(delta(5, 6, R"([["change",100,2]])", "[]")) == book_update::applied);
  CHECK(b.apply(note(btc, R"({"type":"snapshot","change_id":7,"prev_change_id":6,)"
                          R"("bids":[["delete",100,0]],"asks":[]})")) == book_update::applied);
  CHECK(b.bid_levels() == 0);
  CHECK(b.ask_levels() == 1);
  // A snapshot replaces everything, also in the middle of a sequence.
  CHECK(b.apply(snapshot(100, R"([["new",90,3]])", "[]")) == book_update::snapshot);
  CHECK(all_bids(b) == levels{{90.0, 3.0}});
  CHECK(b.ask_levels() == 0);
  CHECK(b.change_id() == 100);
}

TEST_CASE("deribit book: a gap invalidates the book, drops later deltas, and a snapshot recovers") {
  auto b = btc_book();
  REQUIRE(b.apply(wire_change) == book_update::applied);

  SUBCASE("a skipped message") {
    CHECK(b.apply(delta(123456791, 123456792, "[]", "[]")) == book_update::gap);
  }
  SUBCASE("a repeated message") {
    CHECK(b.apply(wire_change) == book_update::gap);
  }
  CHECK(emptied(b));
  CHECK(b.gaps() == 1);

  // Reported once: the deltas that follow, in sequence or not, are dropped.
  CHECK(b.apply(delta(123456792, 123456793, R"([["new",1,1]])", "[]")) == book_update::ignored);
  CHECK(b.apply(delta(123456790, 123456791, R"([["new",1,1]])", "[]")) == book_update::ignored);
  CHECK(b.apply(delta(7, 8, R"([["bad"]])", "[]")) == book_update::ignored);
  CHECK(emptied(b));
  CHECK(b.gaps() == 1);

  REQUIRE(b.apply(snapshot(200, R"([["new",49000,1]])", R"([["new",51000,2]])")) ==
          book_update::snapshot);
  CHECK(b.valid());
  CHECK(b.change_id() == 200);
  CHECK(all_bids(b) == levels{{49000.0, 1.0}});
  CHECK(b.apply(delta(200, 201, R"([["change",49000,3]])", "[]")) == book_update::applied);
  CHECK(all_bids(b) == levels{{49000.0, 3.0}});
  CHECK(b.gaps() == 1);
}

TEST_CASE("deribit book: deltas that contradict the book are inconsistent") {
  auto b = btc_book();
  SUBCASE("change of a missing level") {
    CHECK(b.apply(delta(123456789, 123456790, R"([["change",49000,1]])", "[]")) ==
          book_update::inconsistent);
  }
  SUBCASE("delete of a missing level") {
    CHECK(b.apply(delta(123456789, 123456790, "[]", R"([["delete",50005,0]])")) ==
          book_update::inconsistent);
  }
  SUBCASE("delete of a level on the other side") {
    CHECK(b.apply(delta(123456789, 123456790, R"([["delete",50001,0]])", "[]")) ==
          book_update::inconsistent);
  }
  SUBCASE("new on an existing level") {
    CHECK(b.apply(delta(123456789, 123456790, R"([["new",50000,1]])", "[]")) ==
          book_update::inconsistent);
  }
  SUBCASE("after valid levels of the same message") {
    CHECK(b.apply(delta(123456789, 123456790, R"([["new",49000,1]])",
                        R"([["change",50001,1],["change",60000,1]])")) ==
          book_update::inconsistent);
  }
  CHECK(emptied(b));
  CHECK(b.gaps() == 1);
  CHECK(b.apply(wire_change) == book_update::ignored);
  CHECK(b.apply(wire_snapshot) == book_update::snapshot);
  CHECK(b.apply(wire_change) == book_update::applied);
}

TEST_CASE("deribit book: a crossed or duplicated book is inconsistent") {
  order_book b{btc};
  SUBCASE("a crossed snapshot") {
    CHECK(b.apply(snapshot(1, R"([["new",101,1]])", R"([["new",100,1]])")) ==
          book_update::inconsistent);
  }
  SUBCASE("a locked snapshot (bid == ask)") {
    CHECK(b.apply(snapshot(1, R"([["new",100,1]])", R"([["new",100,1]])")) ==
          book_update::inconsistent);
  }
  SUBCASE("a price twice in a snapshot") {
    CHECK(b.apply(snapshot(1, R"([["new",99,1],["new",99,2]])", R"([["new",100,1]])")) ==
          book_update::inconsistent);
  }
  SUBCASE("a delta that crosses") {
    REQUIRE(b.apply(snapshot(1, R"([["new",99,1]])", R"([["new",100,1]])")) ==
            book_update::snapshot);
    CHECK(b.apply(delta(1, 2, R"([["new",100.5,1]])", "[]")) == book_update::inconsistent);
  }
  CHECK(emptied(b));
  CHECK(b.gaps() == 1);
  // Crossing in the middle of a message is fine when the message ends uncrossed.
  CHECK(b.apply(snapshot(5, R"([["new",99,1]])", R"([["new",100,1]])")) == book_update::snapshot);
  CHECK(b.apply(delta(5, 6, R"([["new",100.5,1]])", R"([["delete",100,0],["new",101,1]])")) ==
        book_update::applied);
  CHECK(b.best_bid()->price == 100.5);
  CHECK(b.best_ask()->price == 101.0);
}

TEST_CASE("deribit book: other channels, answers and heartbeats are ignored") {
  auto b = btc_book();
  const auto bids = all_bids(b);
  const auto asks = all_asks(b);
  const std::vector<std::string> others = {
      // Another instrument's book, another interval, the grouped book, another channel.
      note("book.ETH-PERPETUAL.100ms", R"({"change_id":1,"bids":[],"asks":[]})"),
      note("book.BTC-PERPETUAL.raw", R"({"change_id":1,"bids":[],"asks":[]})"),
      note(btc_top10, R"({"change_id":1,"bids":[[1,1]],"asks":[]})"),
      note("ticker.BTC-PERPETUAL.100ms", R"({"instrument_name":"BTC-PERPETUAL"})"),
      // The subscribe answer names the channel but is no notification.
      R"({"jsonrpc":"2.0","id":1,"result":["book.BTC-PERPETUAL.100ms"]})",
      R"({"jsonrpc":"2.0","id":1,"result":{"channel":"book.BTC-PERPETUAL.100ms"}})",
      R"({"jsonrpc":"2.0","id":2,"error":{"code":11050,"message":"bad_request"}})",
      R"({"jsonrpc":"2.0","method":"heartbeat","params":{"type":"test_request"}})",
      R"({"jsonrpc":"2.0","method":"heartbeat","params":{"type":"heartbeat"}})",
      // Not JSON, not mentioning the channel: never parsed.
      "pong",
      "",
      // Our channel named, but not as the subscription's channel.
      R"({"jsonrpc":"2.0","method":"note","params":{"channel":"book.BTC-PERPETUAL.100ms"}})",
      R"(["book.BTC-PERPETUAL.100ms"])",
      // Another instrument's data on our channel.
      note(btc, R"({"instrument_name":"ETH-PERPETUAL","change_id":1,"bids":[],"asks":[]})"),
  };
  for (const auto& message : others) {
    CAPTURE(message);
    CHECK(b.apply(message) == book_update::ignored);
  }
  CHECK(b.valid());
  CHECK(b.change_id() == 123456789);
  CHECK(all_bids(b) == bids);
  CHECK(all_asks(b) == asks);
  CHECK(b.gaps() == 0);
  CHECK(b.apply(wire_change) == book_update::applied);
}

TEST_CASE("deribit book: a notification of the channel that cannot be read is malformed") {
  const std::vector<std::string> broken = {
      // Not JSON, or nested deeper than the parser allows.
      R"({"params":{"channel":"book.BTC-PERPETUAL.100ms","data":{"change_id":1)",
      R"(channel "book.BTC-PERPETUAL.100ms" )",
      R"({"params":{"channel":"book.BTC-PERPETUAL.100ms"},"x":)" + std::string(200, '[') +
          std::string(200, ']') + "}",
      // No data, or no integer change_id, or a bad prev_change_id or instrument_name.
      note(btc, "null"),
      note(btc, "[]"),
      note(btc, R"({"prev_change_id":123456789,"bids":[],"asks":[]})"),
      note(btc, R"({"change_id":"123456790","prev_change_id":123456789,"bids":[],"asks":[]})"),
      note(btc, R"({"change_id":1.5,"prev_change_id":123456789,"bids":[],"asks":[]})"),
      note(btc, R"({"change_id":123456790,"prev_change_id":"123456789","bids":[],"asks":[]})"),
      note(btc, R"({"instrument_name":7,"change_id":123456790,"prev_change_id":123456789})"),
      // Bad levels.
      delta(123456789, 123456790, R"({"50000":1})", "[]"),
      delta(123456789, 123456790, R"([["change",50000]])", "[]"),
      delta(123456789, 123456790, R"([["change",50000,1,2]])", "[]"),
      delta(123456789, 123456790, R"([[50000,1]])", "[]"),
      delta(123456789, 123456790, R"([["replace",50000,1]])", "[]"),
      delta(123456789, 123456790, R"([["change","50000",1]])", "[]"),
      delta(123456789, 123456790, R"([["change",50000,null]])", "[]"),
      delta(123456789, 123456790, R"([["change",50000,0]])", "[]"),
      delta(123456789, 123456790, "[]", R"([["new",50003,-1]])"),
      delta(123456789, 123456790, "[]", R"([7])"),
      // A snapshot's levels are all new.
      snapshot(1, R"([["new",1,1],["change",2,1]])", "[]"),
  };
  for (const auto& message : broken) {
    CAPTURE(message);
    auto b = btc_book();
    CHECK(b.apply(message) == book_update::malformed);
    CHECK(emptied(b));
    CHECK(b.gaps() == 1);
    CHECK(b.apply(wire_change) == book_update::ignored);
    CHECK(b.apply(wire_snapshot) == book_update::snapshot);
  }
}

TEST_CASE("deribit book: while invalid, unreadable messages are reported again") {
  auto b = btc_book();
  REQUIRE(b.apply(delta(1, 2, "[]", "[]")) == book_update::gap);
  // It might have been the snapshot that was awaited, so the caller hears of it.
  CHECK(b.apply(R"(<"book.BTC-PERPETUAL.100ms">)") == book_update::malformed);
  CHECK(b.apply(note(btc, R"({"bids":[]})")) == book_update::malformed);
  CHECK(b.apply(snapshot(3, R"([["new",1,0]])", "[]")) == book_update::malformed);
  CHECK(b.gaps() == 4);
  CHECK(emptied(b));
  CHECK(b.apply(snapshot(3, R"([["new",1,1]])", "[]")) == book_update::snapshot);
  CHECK(b.valid());
}

TEST_CASE("deribit book: a grouped channel replaces the book with every message") {
  order_book b{btc_top10};
  CHECK(b.grouped());
  CHECK(b.instrument() == "BTC-PERPETUAL");
  REQUIRE(b.apply(note(btc_top10, R"({"timestamp":1,"instrument_name":"BTC-PERPETUAL",)"
                                  R"("change_id":10,"bids":[[50000,1.5],[49999.5,2]],)"
                                  R"("asks":[[50001.0,3],[50002,4]]})")) == book_update::snapshot);
  CHECK(all_bids(b) == levels{{50000.0, 1.5}, {49999.5, 2.0}});
  CHECK(all_asks(b) == levels{{50001.0, 3.0}, {50002.0, 4.0}});
  CHECK(b.change_id() == 10);

  // Levels missing from the next message are gone; no sequence is checked between messages.
  CHECK(b.apply(note(btc_top10, R"({"change_id":15,"prev_change_id":12,"bids":[[49999,1]],)"
                                R"("asks":[[50003,2]]})")) == book_update::snapshot);
  CHECK(all_bids(b) == levels{{49999.0, 1.0}});
  CHECK(all_asks(b) == levels{{50003.0, 2.0}});
  CHECK(b.change_id() == 15);
  CHECK(b.valid());
  CHECK(b.gaps() == 0);

  // Its levels have no action; the delta channel's are not read as its own.
  CHECK(b.apply(note(btc_top10, R"({"change_id":16,"bids":[["new",49999,1]],"asks":[]})")) ==
        book_update::malformed);
  CHECK(emptied(b));
  CHECK(b.apply(note(btc_top10, R"({"change_id":17,"bids":[[2,1]],"asks":[[1,1]]})")) ==
        book_update::inconsistent);
  CHECK(b.apply(note(btc_top10, R"({"change_id":18,"bids":[],"asks":[[1,1]]})")) ==
        book_update::snapshot);
  CHECK(b.valid());
  CHECK(b.gaps() == 2);
  CHECK(b.apply(wire_snapshot) == book_update::ignored);
}

TEST_CASE("deribit book: bids() and asks() return the best levels up to a depth") {
  order_book b{btc};
  REQUIRE(b.apply(snapshot(1, R"([["new",97,3],["new",99,1],["new",98,2]])",
                           R"([["new",102,2],["new",101,1],["new",103,3]])")) ==
          book_update::snapshot);
  CHECK(pairs(b.bids(0)).empty());
  CHECK(pairs(b.bids(1)) == levels{{99.0, 1.0}});
  CHECK(pairs(b.bids(2)) == levels{{99.0, 1.0}, {98.0, 2.0}});
  CHECK(pairs(b.bids(10)) == levels{{99.0, 1.0}, {98.0, 2.0}, {97.0, 3.0}});
  CHECK(pairs(b.asks(2)) == levels{{101.0, 1.0}, {102.0, 2.0}});
  CHECK(pairs(b.asks(3)) == levels{{101.0, 1.0}, {102.0, 2.0}, {103.0, 3.0}});
  CHECK(b.bids(1000).size() == 3);
  CHECK(b.bid_levels() == 3);
  CHECK(b.ask_levels() == 3);
}

TEST_CASE("deribit book: clear() forgets the book until the next snapshot") {
  auto b = btc_book();
  REQUIRE(b.apply(delta(1, 2, "[]", "[]")) == book_update::gap);
  REQUIRE(b.apply(wire_snapshot) == book_update::snapshot);
  b.clear();
  CHECK(emptied(b));
  CHECK(b.gaps() == 1); // kept: it counts over the book's life
  CHECK(b.apply(wire_change) == book_update::ignored);
  CHECK(emptied(b));
  CHECK(b.apply(wire_snapshot) == book_update::snapshot);
  CHECK(b.apply(wire_change) == book_update::applied);
  CHECK(b.change_id() == 123456790);
}

TEST_CASE("deribit book: channel names") {
  CHECK(order_book{"book.ETH-29MAR24-3000-C.raw"}.instrument() == "ETH-29MAR24-3000-C");
  CHECK(order_book{"book.BTC_USDC.agg2"}.instrument() == "BTC_USDC");
  CHECK(order_book{"book.ETH-PERPETUAL.5.20.100ms"}.grouped());
  for (const char* bad : {"", "book", "book.BTC-PERPETUAL", "ticker.BTC-PERPETUAL.100ms",
                          "book..100ms", "book.BTC-PERPETUAL.100ms.", "book.BTC-PERPETUAL.a.b",
                          "book.BTC-PERPETUAL.none.10.100ms.x"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(order_book{bad}, std::invalid_argument);
  }
}

TEST_CASE("deribit book: to_string names every result") {
  CHECK(std::string{to_string(book_update::snapshot)} == "snapshot");
  CHECK(std::string{to_string(book_update::applied)} == "applied");
  CHECK(std::string{to_string(book_update::ignored)} == "ignored");
  CHECK(std::string{to_string(book_update::gap)} == "gap");
  CHECK(std::string{to_string(book_update::inconsistent)} == "inconsistent");
  CHECK(std::string{to_string(book_update::malformed)} == "malformed");
}

namespace {

/// The reference model: one std::map per side, changed by the same random deltas.
struct model {
  std::map<double, double, std::greater<>> bids;
  std::map<double, double> asks;
};

template <class Side>
levels side_levels(const Side& side) {
  return levels(side.begin(), side.end());
}

std::string number(double v, bool as_integer) {
  char text[40];
  std::snprintf(text, sizeof text, as_integer ? "%.0f" : "%.17g", v);
  return text;
}

/// Random deltas on prices below 50000 (bids) and above (asks), so the book never crosses.
class delta_generator {
public:
  explicit delta_generator(std::uint32_t seed) : rng_(seed) {}

  /// One delta's levels for one side, applied to `side` as they are generated.
  template <class Side>
  std::string levels_for(Side& side, double base, double step) {
    std::string out = "[";
    const int count = pick(0, 4);
    for (int i = 0; i < count; ++i) {
      if (out.size() > 1)
        out += ',';
      out += one_level(side, base, step);
    }
    return out + "]";
  }

  int pick(int low, int high) { return std::uniform_int_distribution<int>{low, high}(rng_); }

private:
  template <class Side>
  std::string one_level(Side& side, double base, double step) {
    // New levels while the side is small, more deletes once it is large.
    const int roll = pick(0, 99);
    if (side.empty() || roll < 60 - static_cast<int>(side.size())) {
      double price = base;
      do
        price = base + step * pick(0, 199);
      while (side.count(price) != 0);
      const double amount = pick(1, 100000) / 10.0;
      side.emplace(price, amount);
      return level("new", price, amount);
    }
    auto it = side.begin();
    std::advance(it, pick(0, static_cast<int>(side.size()) - 1));
    const double price = it->first;
    if (roll % 2 == 0) {
      it->second = pick(1, 100000) / 10.0;
      return level("change", price, it->second);
    }
    side.erase(it);
    return level("delete", price, 0);
  }

  std::string level(const char* what, double price, double amount) {
    const bool integer_price = price == static_cast<double>(static_cast<std::int64_t>(price));
    return std::string{"[\""} + what + "\"," + number(price, integer_price && pick(0, 1) == 0) +
           "," + number(amount, amount == 0) + "]";
  }

  std::mt19937 rng_;
};

template <class Side>
std::string as_snapshot_levels(const Side& side) {
  std::string out = "[";
  for (const auto& [price, amount] : side) {
    if (out.size() > 1)
      out += ',';
    out += "[\"new\"," + number(price, false) + "," + number(amount, false) + "]";
  }
  return out + "]";
}

} // namespace

TEST_CASE("deribit book: random deltas keep the book equal to a reference model") {
  for (const std::uint32_t seed : {1U, 2U, 20240607U}) {
    CAPTURE(seed);
    delta_generator gen{seed};
    model m;
    order_book b{btc};
    REQUIRE(b.apply(snapshot(1000, "[]", "[]")) == book_update::snapshot);
    std::int64_t id = 1000;
    std::size_t most_levels = 0;
    for (int step = 0; step < 3000; ++step) {
      CAPTURE(step);
      std::string message;
      if (gen.pick(0, 499) == 0) {
        // Now and then the venue sends the whole book again (a resubscribe).
        id += gen.pick(1, 1000);
        message = snapshot(id, as_snapshot_levels(m.bids), as_snapshot_levels(m.asks));
        REQUIRE(b.apply(message) == book_update::snapshot);
      } else {
        const auto bids = gen.levels_for(m.bids, 49000.0, 0.5);
        const auto asks = gen.levels_for(m.asks, 50000.5, 0.5);
        const std::int64_t next = id + gen.pick(1, 3); // change ids need not be consecutive
        message = delta(id, next, bids, asks);
        id = next;
        REQUIRE(b.apply(message) == book_update::applied);
      }
      // Other channels' traffic in between changes nothing.
      REQUIRE(b.apply(note("book.ETH-PERPETUAL.100ms", R"({"change_id":1,"bids":[],"asks":[]})")) ==
              book_update::ignored);
      REQUIRE(b.valid());
      REQUIRE(b.change_id() == id);
      REQUIRE(all_bids(b) == side_levels(m.bids));
      REQUIRE(all_asks(b) == side_levels(m.asks));
      REQUIRE(b.best_bid().has_value() == !m.bids.empty());
      if (!m.bids.empty())
        REQUIRE(b.best_bid()->price == m.bids.begin()->first);
      most_levels = std::max(most_levels, m.bids.size() + m.asks.size());
    }
    CHECK(b.gaps() == 0);
    CHECK(most_levels > 40); // the walk did build a book of some size
  }
}
