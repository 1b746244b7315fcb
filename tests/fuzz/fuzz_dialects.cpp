// The venue dialects (JSON-RPC, Deribit's, Binance streams and WebSocket API, OKX, Bybit,
// Ethereum) reading arbitrary frames in the middle of a session, and Deribit's order book
// reading the same frames.
//
// Input: byte 0 picks the dialect, the rest is frames, one per line. Before the frames the
// dialect has a subscription (id 1) and a login (id 2) in flight, so acknowledgements and
// id-less answers have something to match. Invariants:
// - a frame that read() takes for an answer or a shutdown passes worth_reading() (a miss would
//   hand an answer to the market-data handler and leave its request waiting), for frames whose
//   keys are not written with escapes;
// - confirmed() confirms only channels that were requested, each once;
// - signature_payload() accepts what json_rpc classifies as a JSON object only;
// - the order book is never crossed while valid, and invalid after a gap, an inconsistency or a
//   malformed message.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "zenws/adapters/binance.hpp"
#include "zenws/adapters/bybit.hpp"
#include "zenws/adapters/deribit.hpp"
#include "zenws/adapters/deribit_order_book.hpp"
#include "zenws/adapters/json_rpc.hpp"
#include "zenws/adapters/okx.hpp"

using namespace zenws;
using fuzz::check;

namespace {

struct venue {
  std::unique_ptr<wire_dialect> dialect;
  std::vector<std::string> channels; // valid on this venue
  std::string login_method;
};

venue pick(std::uint8_t which) {
  switch (which % 7) {
  case 0:
    return {std::make_unique<json_rpc_dialect>(),
            {"book.BTC-PERPETUAL.100ms", "trades.ETH.raw"},
            "public/auth"};
  case 1:
    return {std::make_unique<binance::stream_dialect>(),
            {"btcusdt@trade", "ethusdt@depth"},
            "LIST_SUBSCRIPTIONS"};
  case 2: {
    binance::api_settings s;
    s.credentials = {"key", "secret"};
    s.clock_ms = [] { return std::int64_t{1700000000000}; };
    return {std::make_unique<binance::api_dialect>(std::move(s)), {}, "session.logon"};
  }
  case 3:
    return {std::make_unique<okx::dialect>(), {"tickers:BTC-USDT", "books5:ETH-USDT"}, "login"};
  case 4:
    return {
        std::make_unique<bybit::dialect>(), {"orderbook.1.BTCUSDT", "publicTrade.BTCUSDT"}, "auth"};
  case 5:
    return {std::make_unique<generic_json_rpc::ethereum_dialect>(), {"newHeads"}, "eth_chainId"};
  default:
    return {std::make_unique<deribit::dialect>(true),
            {"book.BTC-PERPETUAL.100ms", "user.orders.any.any.raw"},
            "public/auth"};
  }
}

bool is_answer(json_rpc::kind k) {
  return k == json_rpc::kind::response || k == json_rpc::kind::error ||
         k == json_rpc::kind::shutdown || k == json_rpc::kind::partial;
}

void check_confirmed(wire_dialect& d, const inbound& answer,
                     const std::vector<std::string>& requested) {
  auto confirmed = d.confirmed(answer, requested);
  for (const auto& c : confirmed)
    check(std::find(requested.begin(), requested.end(), c) != requested.end(),
          "confirmed() names a channel that was not requested");
  std::sort(confirmed.begin(), confirmed.end());
  check(std::adjacent_find(confirmed.begin(), confirmed.end()) == confirmed.end(),
        "confirmed() names a channel twice");
}

void read_frame(venue& v, std::string_view frame) {
  auto& d = *v.dialect;
  if (!d.worth_reading(frame)) {
    // Probe a fresh clone given the same requests, so the session's state is not disturbed.
    auto probe = d.clone();
    if (!v.channels.empty())
      probe->subscription_request(1, subscription_op::subscribe, v.channels);
    probe->request(2, v.login_method, "{}");
    const auto seen = probe->read(frame);
    if (frame.find('\\') == std::string_view::npos)
      check(!is_answer(seen.what), "worth_reading() missed an answer or a shutdown");
    return;
  }
  const auto answer = d.read(frame);
  if (answer.what == json_rpc::kind::response && answer.id == 1)
    check_confirmed(d, answer, v.channels);
}

void check_book(deribit::order_book& book, std::string_view frame) {
  using deribit::book_update;
  const auto update = book.apply(frame);
  if (update == book_update::gap || update == book_update::inconsistent ||
      update == book_update::malformed)
    check(!book.valid(), "the order book stays valid after a failed message");
  const auto bid = book.best_bid();
  const auto ask = book.best_ask();
  if (book.valid() && bid && ask)
    check(bid->price < ask->price, "a valid order book is crossed");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto rest = fuzz::text_of(data, size);
  auto v = pick(fuzz::take_byte(rest));
  if (!v.channels.empty()) {
    check(!v.dialect->check_channels(subscription_op::subscribe, v.channels, 0),
          "the fuzz target's own channels are refused");
    v.dialect->subscription_request(1, subscription_op::subscribe, v.channels);
  }
  v.dialect->request(2, v.login_method, "{}");
  deribit::order_book book{"book.BTC-PERPETUAL.100ms"};
  while (!rest.empty()) {
    const auto frame = fuzz::take_line(rest);
    read_frame(v, frame);
    check_book(book, frame);
  }

  const auto payload = binance::signature_payload(fuzz::text_of(data, size));
  if (payload && size > 0) // "" stands for no params: an empty payload
    check(json_rpc::classify(fuzz::text_of(data, size)).what != json_rpc::kind::not_json,
          "signature_payload() accepted text that is not JSON");
  return 0;
}
