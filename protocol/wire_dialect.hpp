#pragma once
/// @file
/// A venue's dialect: how it frames requests, answers and subscriptions on the wire. The
/// connection actor asks its dialect to build every request frame and to read every text frame
/// that may answer one. JSON-RPC 2.0 as Deribit spells it is the default (json_rpc_dialect);
/// adapters bring their own for venues with another envelope (Binance's WebSocket API, OKX's
/// "op"/"event", Bybit's "req_id"/"success").
///
/// Each connection owns its own instance (a clone() of the one in its options), so a dialect
/// may remember per-connection facts: the request an id-less answer belongs to (OKX's login
/// answer has no id), acknowledgements still missing (OKX acknowledges each channel on its
/// own), the server's names for subscriptions (Ethereum's subscription ids). The connection
/// calls reset() when it opens a new socket: nothing of the old one matters then. Pure: no I/O,
/// no clock reads except through what an adapter injects.

#include <cstddef>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "zenws/protocol/error.hpp"
#include "zenws/protocol/json_rpc.hpp"
#include "zenws/protocol/subscriptions.hpp"

namespace zenws {

/// An incoming text frame as a dialect reads it. Answers carry the id of the request they
/// answer, whatever the venue calls it; kind::partial and kind::shutdown are dialect verdicts.
using inbound = json_rpc::message;

/// The interface a connection consults for its venue's envelope.
class wire_dialect {
public:
  virtual ~wire_dialect() = default;

  /// A fresh instance with the same settings and no per-connection state.
  virtual std::unique_ptr<wire_dialect> clone() const = 0;

  /// A new socket is open: forget what belonged to the previous one.
  virtual void reset() {}

  /// Checks a user request before anything is sent: empty, or the failure to answer with
  /// (bad_json for params that are not one JSON object or array).
  virtual failure check_request(std::string_view method, std::string_view params) const;

  /// The frame of request `id`; `params` passed check_request.
  virtual std::string request(json_rpc::request_id id, std::string_view method,
                              std::string_view params) = 0;

  /// True when request frames carry a timestamp or signature (Binance's signed requests): a
  /// request that waited for rate-limit tokens is built again when it finally goes.
  virtual bool time_sensitive() const { return false; }

  /// Cheap test, without parsing: may `text` answer a request or be an event the connection
  /// acts on? Frames for which it is false go to the handler unread. False positives only
  /// cost a parse.
  virtual bool worth_reading(std::string_view text) const = 0;

  /// Reads `text` (worth_reading was true).
  virtual inbound read(std::string_view text) = 0;

  // -- subscriptions ----------------------------------------------------------------------------

  /// The frame that subscribes or unsubscribes `channels` under correlation id `id`.
  virtual std::string subscription_request(json_rpc::request_id id, subscription_op op,
                                           const std::vector<std::string>& channels) = 0;

  /// The method a subscription request counts as, for its rate-limit cost.
  virtual std::string subscription_method(subscription_op op) const = 0;

  /// The channels a successful answer to a subscription request confirms, out of `requested`.
  virtual std::vector<std::string> confirmed(const inbound& answer,
                                             const std::vector<std::string>& requested) = 0;

  /// Checks `channels` before they are sent, given the `held` channels the connection already
  /// has: empty, or the failure to answer with (bad_channel: a malformed name, or more channels
  /// than the venue allows on one connection).
  virtual failure check_channels(subscription_op op, const std::vector<std::string>& channels,
                                 std::size_t held) const;

  /// Most channels one subscription request may carry; the restore after a reconnect is split
  /// into requests of at most this many. Unlimited by default.
  virtual std::size_t channels_per_request() const {
    return std::numeric_limits<std::size_t>::max();
  }
};

/// How a JSON-RPC venue spells subscribe and unsubscribe. The defaults are Deribit's.
struct json_rpc_dialect_options {
  enum class params_style : std::uint8_t {
    channels_object, ///< "params":{"channels":[...]} (Deribit)
    list,            ///< "params":[...] (Binance streams, Ethereum)
  };
  std::string subscribe_method = "public/subscribe";
  std::string unsubscribe_method = "public/unsubscribe";
  params_style style = params_style::channels_object;
  /// Writes "jsonrpc":"2.0" in each request; Binance's stream control messages go without it.
  bool jsonrpc_member = true;
};

/// JSON-RPC 2.0 (Deribit by default). A successful subscription answer confirms the requested
/// channels its result lists when it is a list of strings (Deribit lists what it accepted;
/// names we did not request are ignored), else all of them (Binance answers null).
class json_rpc_dialect : public wire_dialect {
public:
  explicit json_rpc_dialect(json_rpc_dialect_options options = {});

  std::unique_ptr<wire_dialect> clone() const override;
  std::string request(json_rpc::request_id id, std::string_view method,
                      std::string_view params) override;
  bool worth_reading(std::string_view text) const override;
  inbound read(std::string_view text) override;
  std::string subscription_request(json_rpc::request_id id, subscription_op op,
                                   const std::vector<std::string>& channels) override;
  std::string subscription_method(subscription_op op) const override;
  std::vector<std::string> confirmed(const inbound& answer,
                                     const std::vector<std::string>& requested) override;

  const json_rpc_dialect_options& options() const noexcept { return options_; }

private:
  json_rpc_dialect_options options_;
};

/// Deribit's dialect, the connection's default.
std::shared_ptr<const wire_dialect> default_dialect();

/// `["a","b"]` with JSON string escaping: the list form of channel names.
std::string json_string_list(const std::vector<std::string>& items);

/// Appends `s` to `out` as a JSON string (quoted and escaped).
void append_json_string(std::string& out, std::string_view s);

} // namespace zenws
