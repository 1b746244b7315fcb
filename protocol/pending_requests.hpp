#pragma once
/// @file
/// Requests waiting for their responses, keyed by id, each taken out exactly once: by its
/// response, by its timeout, or by a disconnect. Whatever takes an entry owns it, so a request
/// cannot end twice. The table keeps the deadlines in order, so its owner needs one timer for
/// all of them (next_deadline, take_expired), not one per request. Pure and header-only;
/// `Waiter` is what the owner needs to answer (the connection actor stores a CAF response
/// promise).

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "zenws/protocol/clock.hpp"
#include "zenws/protocol/json_rpc.hpp"

namespace zenws {

template <class Waiter>
class pending_requests {
public:
  /// One waiting request.
  struct entry {
    Waiter waiter;
    steady_time sent_at;
    steady_time deadline;    ///< when it times out
    std::uint64_t token = 0; ///< tells it from an earlier request under the same id
  };

  /// The next id to assign: positive and increasing, never reused by this table.
  json_rpc::request_id next_id() noexcept { return next_id_++; }

  /// Registers request `id`, timing out `timeout` after `now`. False (and `waiter` left
  /// untouched) when `id` is already waiting.
  bool add(json_rpc::request_id id, Waiter&& waiter, steady_time now,
           std::chrono::milliseconds timeout) {
    if (entries_.count(id) != 0)
      return false;
    const std::uint64_t token = next_token_++;
    entries_.emplace(id, entry{std::move(waiter), now, now + timeout, token});
    deadlines_.push_back({now + timeout, id, token});
    std::push_heap(deadlines_.begin(), deadlines_.end(), later);
    if (id >= next_id_)
      next_id_ = id + 1;
    return true;
  }

  /// The response for `id` arrived: the entry, or nullopt when nothing waits under `id`.
  std::optional<entry> take(json_rpc::request_id id) {
    const auto it = entries_.find(id);
    if (it == entries_.end())
      return std::nullopt;
    entry out = std::move(it->second);
    entries_.erase(it);
    drop_answered_deadlines();
    return out;
  }

  /// The earliest deadline of a waiting request, if any: the one timer the owner keeps armed.
  std::optional<steady_time> next_deadline() {
    drop_answered_deadlines();
    if (deadlines_.empty())
      return std::nullopt;
    return deadlines_.front().at;
  }

  /// Every waiting request whose deadline is at or before `now`, removed, earliest first.
  std::vector<std::pair<json_rpc::request_id, entry>> take_expired(steady_time now) {
    std::vector<std::pair<json_rpc::request_id, entry>> out;
    for (drop_answered_deadlines(); !deadlines_.empty() && deadlines_.front().at <= now;
         drop_answered_deadlines()) {
      const auto id = deadlines_.front().id;
      std::pop_heap(deadlines_.begin(), deadlines_.end(), later);
      deadlines_.pop_back();
      const auto it = entries_.find(id);
      out.emplace_back(id, std::move(it->second));
      entries_.erase(it);
    }
    return out;
  }

  /// Every waiting entry, removed: the connection dropped.
  std::vector<std::pair<json_rpc::request_id, entry>> take_all() {
    std::vector<std::pair<json_rpc::request_id, entry>> out;
    out.reserve(entries_.size());
    for (auto& [id, e] : entries_)
      out.emplace_back(id, std::move(e));
    entries_.clear();
    deadlines_.clear();
    return out;
  }

  bool waiting(json_rpc::request_id id) const { return entries_.count(id) != 0; }
  std::size_t size() const noexcept { return entries_.size(); }
  bool empty() const noexcept { return entries_.empty(); }

private:
  /// A deadline in the min-heap. Answered requests leave theirs behind; it is dropped when it
  /// reaches the top, so answering costs no search.
  struct deadline_mark {
    steady_time at;
    json_rpc::request_id id;
    std::uint64_t token;
  };

  static bool later(const deadline_mark& a, const deadline_mark& b) noexcept { return a.at > b.at; }

  bool answered(const deadline_mark& d) const {
    const auto it = entries_.find(d.id);
    return it == entries_.end() || it->second.token != d.token;
  }

  void drop_answered_deadlines() {
    while (!deadlines_.empty() && answered(deadlines_.front())) {
      std::pop_heap(deadlines_.begin(), deadlines_.end(), later);
      deadlines_.pop_back();
    }
  }

  std::unordered_map<json_rpc::request_id, entry> entries_;
  std::vector<deadline_mark> deadlines_; ///< min-heap on `at`
  json_rpc::request_id next_id_ = 1;
  std::uint64_t next_token_ = 1;
};

} // namespace zenws
