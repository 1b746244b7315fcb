#pragma once
/// @file
/// Deribit API v2 methods, declared once in a table: each method's name, whether it needs an
/// authenticated connection, and the params members it requires. The Deribit dialect checks
/// requests against it before they are sent, so a missing member fails at once with bad_params
/// instead of a round trip to -32602 (or, for an order, a silent default).
///
/// @code
/// using namespace zenws;
/// self->request(pool, 5s, request_atom::value, std::string{deribit::methods::buy.name},
///               R"({"instrument_name":"BTC-PERPETUAL","amount":10,"price":50000})",
///               caf::timespan{0});
/// @endcode
///
/// Required members: `a,b` means both; `a|b` means at least one of them (buy and sell take an
/// amount or a number of contracts).

#include <string_view>
#include <vector>

#include "zenws/protocol/error.hpp"

namespace zenws::deribit {

/// One method of the table.
struct method {
  std::string_view name;     ///< as sent: "private/buy"
  bool is_private = false;   ///< needs an authenticated connection (or an access_token)
  std::string_view required; ///< params members it requires, as described above; "" = none
};

// X(identifier, method name, is_private, required params)
#define ZENWS_DERIBIT_METHODS(X)                                                                   \
  X(auth, "public/auth", false, "grant_type")                                                      \
  X(hello, "public/hello", false, "client_name,client_version")                                    \
  X(get_time, "public/get_time", false, "")                                                        \
  X(test, "public/test", false, "")                                                                \
  X(set_heartbeat, "public/set_heartbeat", false, "interval")                                      \
  X(disable_heartbeat, "public/disable_heartbeat", false, "")                                      \
  X(subscribe_public, "public/subscribe", false, "channels")                                       \
  X(unsubscribe_public, "public/unsubscribe", false, "channels")                                   \
  X(unsubscribe_all_public, "public/unsubscribe_all", false, "")                                   \
  X(get_instruments, "public/get_instruments", false, "currency")                                  \
  X(get_order_book, "public/get_order_book", false, "instrument_name")                             \
  X(ticker, "public/ticker", false, "instrument_name")                                             \
  X(get_last_trades_by_instrument, "public/get_last_trades_by_instrument", false,                  \
    "instrument_name")                                                                             \
  X(logout, "private/logout", true, "")                                                            \
  X(subscribe, "private/subscribe", true, "channels")                                              \
  X(unsubscribe, "private/unsubscribe", true, "channels")                                          \
  X(unsubscribe_all, "private/unsubscribe_all", true, "")                                          \
  X(enable_cancel_on_disconnect, "private/enable_cancel_on_disconnect", true, "")                  \
  X(disable_cancel_on_disconnect, "private/disable_cancel_on_disconnect", true, "")                \
  X(get_cancel_on_disconnect, "private/get_cancel_on_disconnect", true, "")                        \
  X(buy, "private/buy", true, "instrument_name,amount|contracts")                                  \
  X(sell, "private/sell", true, "instrument_name,amount|contracts")                                \
  X(edit, "private/edit", true, "order_id")                                                        \
  X(cancel, "private/cancel", true, "order_id")                                                    \
  X(cancel_all, "private/cancel_all", true, "")                                                    \
  X(cancel_all_by_instrument, "private/cancel_all_by_instrument", true, "instrument_name")         \
  X(get_open_orders_by_instrument, "private/get_open_orders_by_instrument", true,                  \
    "instrument_name")                                                                             \
  X(get_order_state, "private/get_order_state", true, "order_id")                                  \
  X(get_positions, "private/get_positions", true, "")                                              \
  X(get_position, "private/get_position", true, "instrument_name")                                 \
  X(get_account_summary, "private/get_account_summary", true, "currency")                          \
  X(get_user_trades_by_instrument, "private/get_user_trades_by_instrument", true,                  \
    "instrument_name")                                                                             \
  X(get_settlement_history_by_instrument, "private/get_settlement_history_by_instrument", true,    \
    "instrument_name")                                                                             \
  X(get_settlement_history_by_currency, "private/get_settlement_history_by_currency", true,        \
    "currency")                                                                                    \
  X(get_portfolio_margins, "private/get_portfolio_margins", true, "currency")

/// Every method of the table as a named constant: deribit::methods::buy, ...
namespace methods {
#define ZENWS_DERIBIT_CONSTANT(id, name, is_private, required)                                     \
  inline constexpr method id{name, is_private, required};
ZENWS_DERIBIT_METHODS(ZENWS_DERIBIT_CONSTANT)
#undef ZENWS_DERIBIT_CONSTANT
} // namespace methods

/// The whole table, in the order above.
const std::vector<method>& all_methods();

/// The method named `name`, or null for one the table does not hold (it may still exist on
/// the venue: such requests go out unchecked).
const method* find_method(std::string_view name);

/// Empty when `params` (JSON object text, or "" for none) has every member `m` requires;
/// otherwise bad_params naming the method and the first missing member.
failure check_params(const method& m, std::string_view params);

} // namespace zenws::deribit
