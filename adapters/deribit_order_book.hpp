#pragma once
/// @file
/// A Deribit order book kept from the notifications of one book channel (API v2). Pure: it reads
/// the text messages a connection delivers and holds the levels; subscribing is the caller's job.
///
/// `book.{instrument}.{interval}` (raw, 100ms, agg2) sends the whole book first, then deltas
/// whose levels are `[action, price, amount]` with action new, change or delete. Every message
/// has a change_id; a delta's prev_change_id must be the change_id of the message before it, or
/// messages were lost and only a fresh snapshot (a resubscribe) repairs the book. A message is a
/// snapshot when its prev_change_id is absent or null (its "type" member is not relied upon).
///
/// `book.{instrument}.{group}.{depth}.{interval}` sends complete top-N books of `[price, amount]`
/// levels: every message replaces the book, and no sequence is checked.
///
/// When a message breaks the book (gap, inconsistent, malformed), the book empties and stays
/// invalid until the next snapshot, so that stale levels cannot be read as current. That result
/// is reported once; deltas that arrive meanwhile are dropped as `ignored`. A later message that
/// cannot be read is reported again, since it may have been the snapshot the caller waits for.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace zenws::deribit {

struct book_level {
  double price = 0;
  double amount = 0;
};

/// What order_book::apply made of a message.
enum class book_update : std::uint8_t {
  snapshot,     ///< the book was replaced by a full snapshot
  applied,      ///< a delta was applied in sequence
  ignored,      ///< not for this book (other channels or instruments, responses, heartbeats), or
                ///< a delta dropped while the book is invalid; the book is unchanged
  gap,          ///< prev_change_id did not follow: the book is invalid until the next snapshot;
                ///< resubscribe
  inconsistent, ///< new on an existing level, change or delete of a missing one, a price twice
                ///< in a snapshot, or a crossed book (best bid >= best ask): invalid until the
                ///< next snapshot; resubscribe
  malformed,    ///< mentions this channel but cannot be read (not JSON, no integer change_id, a
                ///< bad level or action, an amount <= 0 outside delete): invalid until the next
                ///< snapshot; resubscribe
};

/// The enumerator's name, e.g. "gap".
const char* to_string(book_update u) noexcept;

/// The book of one channel.
class order_book {
public:
  /// `channel` as subscribed, e.g. "book.BTC-PERPETUAL.100ms" or
  /// "book.BTC-PERPETUAL.none.10.100ms". Throws std::invalid_argument when it has neither form.
  explicit order_book(std::string channel);

  /// Reads one text message as received (the whole JSON-RPC notification). Messages that do not
  /// contain the channel name are ignored without being parsed.
  book_update apply(std::string_view message);

  bool valid() const noexcept { return valid_; } ///< a snapshot was applied and nothing broke since
  std::int64_t change_id() const noexcept { return change_id_; } ///< last one applied; 0 if none

  std::optional<book_level> best_bid() const;
  std::optional<book_level> best_ask() const;
  std::vector<book_level> bids(std::size_t depth) const; ///< best (highest price) first
  std::vector<book_level> asks(std::size_t depth) const; ///< best (lowest price) first
  std::size_t bid_levels() const noexcept { return bids_.size(); }
  std::size_t ask_levels() const noexcept { return asks_.size(); }

  const std::string& channel() const noexcept { return channel_; }
  const std::string& instrument() const noexcept { return instrument_; }
  bool grouped() const noexcept { return grouped_; } ///< every message is a full top-N book

  /// gap, inconsistent and malformed results over the book's life (clear() keeps the count).
  std::uint64_t gaps() const noexcept { return gaps_; }

  /// Forgets the levels (e.g. after unsubscribing): invalid until the next snapshot.
  void clear() noexcept;

private:
  using bid_map = std::map<double, double, std::greater<>>;
  using ask_map = std::map<double, double>;

  book_update fail(book_update why) noexcept;

  std::string channel_;
  std::string quoted_channel_; ///< "\"" + channel + "\"", for the cheap pre-check
  std::string instrument_;
  bool grouped_ = false;
  bool valid_ = false;
  std::int64_t change_id_ = 0;
  std::uint64_t gaps_ = 0;
  bid_map bids_;
  ask_map asks_;
};

} // namespace zenws::deribit
