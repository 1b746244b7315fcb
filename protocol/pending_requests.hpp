#pragma once
/// @file
/// Requests waiting for their responses, keyed by id, each taken out exactly once: by its
/// response, by its timeout, or by a disconnect. Whatever takes an entry owns it, so a request
/// cannot end twice. Pure and header-only; `Waiter` is what the owner needs to answer (the
/// connection actor stores a CAF response promise).

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
    std::uint64_t timer = 0; ///< the token its timeout must present
  };

  /// The next id to assign: positive and increasing, never reused by this table.
  json_rpc::request_id next_id() noexcept { return next_id_++; }

  /// Registers request `id` and returns the token of its timeout; nullopt (and `waiter` left
  /// untouched) when `id` is already waiting.
  std::optional<std::uint64_t> add(json_rpc::request_id id, Waiter&& waiter, steady_time now) {
    if (entries_.count(id) != 0)
      return std::nullopt;
    const std::uint64_t token = next_timer_++;
    entries_.emplace(id, entry{std::move(waiter), now, token});
    if (id >= next_id_)
      next_id_ = id + 1;
    return token;
  }

  /// The response for `id` arrived: the entry, or nullopt when nothing waits under `id`.
  std::optional<entry> take(json_rpc::request_id id) {
    const auto it = entries_.find(id);
    if (it == entries_.end())
      return std::nullopt;
    entry out = std::move(it->second);
    entries_.erase(it);
    return out;
  }

  /// The timeout with `token` fired for `id`: the entry if it still waits under that token.
  /// A timer that outlived its request (answered, or failed by a disconnect) finds nothing.
  std::optional<entry> expire(json_rpc::request_id id, std::uint64_t token) {
    const auto it = entries_.find(id);
    if (it == entries_.end() || it->second.timer != token)
      return std::nullopt;
    return take(id);
  }

  /// Every waiting entry, removed: the connection dropped.
  std::vector<std::pair<json_rpc::request_id, entry>> take_all() {
    std::vector<std::pair<json_rpc::request_id, entry>> out;
    out.reserve(entries_.size());
    for (auto& [id, e] : entries_)
      out.emplace_back(id, std::move(e));
    entries_.clear();
    return out;
  }

  bool waiting(json_rpc::request_id id) const { return entries_.count(id) != 0; }
  std::size_t size() const noexcept { return entries_.size(); }
  bool empty() const noexcept { return entries_.empty(); }

private:
  std::unordered_map<json_rpc::request_id, entry> entries_;
  json_rpc::request_id next_id_ = 1;
  std::uint64_t next_timer_ = 1;
};

} // namespace zenws
