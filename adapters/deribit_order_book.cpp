#include "zenws/adapters/deribit_order_book.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "zenws/adapters/detail/json.hpp"
#include "zenws/protocol/detail/json_parse.hpp"
#include "zenws/protocol/substring.hpp"

namespace zenws::deribit {

namespace {

using adapters_detail::member;
using adapters_detail::string_member;
using adapters_detail::view;

enum class action : std::uint8_t { add, change, remove };

struct level_update {
  action what = action::add;
  double price = 0;
  double amount = 0;
};

/// The data of a book notification and its change ids, once the envelope has been read.
struct book_message {
  book_update status = book_update::applied; ///< or ignored (not this book's), or malformed
  const rapidjson::Value* data = nullptr;
  std::int64_t change_id = 0;
  std::optional<std::int64_t> prev_change_id; ///< none in a snapshot (absent or null)
};

book_message read_message(const rapidjson::Value& doc, std::string_view channel,
                          std::string_view instrument) {
  book_message out;
  const auto* params = member(doc, "params");
  if (string_member(doc, "method") != "subscription" || !params ||
      string_member(*params, "channel") != channel) {
    out.status = book_update::ignored; // e.g. the subscribe answer, which lists the channel
    return out;
  }
  out.data = member(*params, "data");
  const auto* name = out.data ? member(*out.data, "instrument_name") : nullptr;
  if (name && name->IsString() && view(*name) != instrument) {
    out.status = book_update::ignored;
    return out;
  }
  const auto* id = out.data ? member(*out.data, "change_id") : nullptr;
  const auto* prev = out.data ? member(*out.data, "prev_change_id") : nullptr;
  if (!id || !id->IsInt64() || (prev && !prev->IsNull() && !prev->IsInt64()) ||
      (name && !name->IsString())) {
    out.status = book_update::malformed;
    return out;
  }
  out.change_id = id->GetInt64();
  if (prev && prev->IsInt64())
    out.prev_change_id = prev->GetInt64();
  return out;
}

/// `[action, price, amount]`, or `[price, amount]` in a grouped book (always an add).
std::optional<level_update> read_level(const rapidjson::Value& v, bool grouped) {
  if (!v.IsArray() || v.Size() != (grouped ? 2U : 3U))
    return std::nullopt;
  level_update out;
  if (!grouped) {
    const auto name = v[0].IsString() ? view(v[0]) : std::string_view{};
    if (name == "change")
      out.what = action::change;
    else if (name == "delete")
      out.what = action::remove;
    else if (name != "new")
      return std::nullopt;
  }
  const auto& price = v[grouped ? 0 : 1];
  const auto& amount = v[grouped ? 1 : 2];
  if (!price.IsNumber() || !amount.IsNumber())
    return std::nullopt;
  out.price = price.GetDouble();
  out.amount = amount.GetDouble();
  // Deletes carry amount 0; any other level without a positive amount is not a level.
  if (out.what != action::remove && !(out.amount > 0))
    return std::nullopt;
  return out;
}

/// Applies one level to one side: applied, or inconsistent when the side contradicts it.
template <class Side>
book_update apply_level(Side& side, const level_update& l) {
  switch (l.what) {
  case action::add:
    return side.emplace(l.price, l.amount).second ? book_update::applied
                                                  : book_update::inconsistent;
  case action::change:
    if (const auto it = side.find(l.price); it != side.end()) {
      it->second = l.amount;
      return book_update::applied;
    }
    return book_update::inconsistent;
  case action::remove:
    return side.erase(l.price) == 1 ? book_update::applied : book_update::inconsistent;
  }
  return book_update::malformed;
}

/// Applies the levels `data[name]` ("bids" or "asks"; absent means none) to one side.
template <class Side>
book_update apply_side(Side& side, const rapidjson::Value& data, const char* name, bool grouped,
                       bool snapshot) {
  const auto* levels = member(data, name);
  if (!levels)
    return book_update::applied;
  if (!levels->IsArray())
    return book_update::malformed;
  for (const auto& v : levels->GetArray()) {
    const auto level = read_level(v, grouped);
    if (!level || (snapshot && level->what != action::add))
      return book_update::malformed;
    if (const auto r = apply_level(side, *level); r != book_update::applied)
      return r;
  }
  return book_update::applied;
}

/// Applies both sides of a message, then checks that the book did not come out crossed.
template <class Bids, class Asks>
book_update apply_levels(Bids& bids, Asks& asks, const rapidjson::Value& data, bool grouped,
                         bool snapshot) {
  auto r = apply_side(bids, data, "bids", grouped, snapshot);
  if (r == book_update::applied)
    r = apply_side(asks, data, "asks", grouped, snapshot);
  if (r == book_update::applied && !bids.empty() && !asks.empty() &&
      bids.begin()->first >= asks.begin()->first)
    r = book_update::inconsistent;
  return r;
}

template <class Side>
std::vector<book_level> top(const Side& side, std::size_t depth) {
  std::vector<book_level> out;
  out.reserve(std::min(depth, side.size()));
  for (auto it = side.begin(); it != side.end() && out.size() < depth; ++it)
    out.push_back({it->first, it->second});
  return out;
}

template <class Side>
std::optional<book_level> best(const Side& side) {
  if (side.empty())
    return std::nullopt;
  return book_level{side.begin()->first, side.begin()->second};
}

} // namespace

const char* to_string(book_update u) noexcept {
  switch (u) {
  case book_update::snapshot:
    return "snapshot";
  case book_update::applied:
    return "applied";
  case book_update::ignored:
    return "ignored";
  case book_update::gap:
    return "gap";
  case book_update::inconsistent:
    return "inconsistent";
  case book_update::malformed:
    return "malformed";
  }
  return "?";
}

order_book::order_book(std::string channel) : channel_(std::move(channel)) {
  std::vector<std::string_view> parts;
  for (std::string_view rest = channel_;;) {
    const auto dot = rest.find('.');
    parts.push_back(rest.substr(0, dot));
    if (dot == std::string_view::npos)
      break;
    rest.remove_prefix(dot + 1);
  }
  const bool empty_part = std::any_of(parts.begin(), parts.end(), [](auto p) { return p.empty(); });
  if ((parts.size() != 3 && parts.size() != 5) || parts[0] != "book" || empty_part)
    throw std::invalid_argument("\"" + channel_ +
                                "\" is not a Deribit book channel (book.{instrument}.{interval} "
                                "or book.{instrument}.{group}.{depth}.{interval})");
  instrument_ = std::string{parts[1]};
  grouped_ = parts.size() == 5;
  quoted_channel_ = "\"" + channel_ + "\"";
}

book_update order_book::apply(std::string_view message) {
  if (!contains(message, quoted_channel_))
    return book_update::ignored;
  // Full precision, so that one price always parses to one key however it is written.
  rapidjson::Document doc;
  if (!zenws::detail::parse_json<rapidjson::kParseFullPrecisionFlag>(doc, message))
    return fail(book_update::malformed);
  const auto m = read_message(doc, channel_, instrument_);
  if (m.status != book_update::applied)
    return m.status == book_update::ignored ? m.status : fail(m.status);
  if (grouped_ || !m.prev_change_id) {
    bid_map fresh_bids;
    ask_map fresh_asks;
    if (const auto r = apply_levels(fresh_bids, fresh_asks, *m.data, grouped_, true);
        r != book_update::applied)
      return fail(r);
    bids_.swap(fresh_bids);
    asks_.swap(fresh_asks);
    valid_ = true;
    change_id_ = m.change_id;
    return book_update::snapshot;
  }
  if (!valid_)
    return book_update::ignored; // the failure was reported; waiting for the snapshot
  if (*m.prev_change_id != change_id_)
    return fail(book_update::gap);
  if (const auto r = apply_levels(bids_, asks_, *m.data, false, false); r != book_update::applied)
    return fail(r);
  change_id_ = m.change_id;
  return book_update::applied;
}

std::optional<book_level> order_book::best_bid() const {
  return best(bids_);
}

std::optional<book_level> order_book::best_ask() const {
  return best(asks_);
}

std::vector<book_level> order_book::bids(std::size_t depth) const {
  return top(bids_, depth);
}

std::vector<book_level> order_book::asks(std::size_t depth) const {
  return top(asks_, depth);
}

void order_book::clear() noexcept {
  valid_ = false;
  change_id_ = 0;
  bids_.clear();
  asks_.clear();
}

book_update order_book::fail(book_update why) noexcept {
  ++gaps_;
  clear();
  return why;
}

} // namespace zenws::deribit
