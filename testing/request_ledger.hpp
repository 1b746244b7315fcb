#pragma once
/// @file
/// A ledger of requests for fault-injection tests: each request is opened when it is issued and
/// ended with its outcome when its reply or error arrives, so a test can check that every
/// request ended exactly once and how. Thread-safe: requests may end on any thread.
///
/// @par Example
/// @code
/// zenws::testing::request_ledger ledger;
/// const auto n = ledger.open();
/// self->request(pool, 10s, zenws::request_balanced_atom::value, method, params, timeout)
///     .then([=](zenws::rpc_response&) { ledger.end(n, zenws::errc::none); },
///           [=](caf::error& e) { ledger.end(n, zenws::to_failure(e).code); });
/// // ... faults ...
/// ledger.all_ended(5s) && ledger.not_once() == 0
/// @endcode

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <map>
#include <mutex>
#include <vector>

#include "zenws/protocol/error.hpp"

namespace zenws::testing {

class request_ledger {
public:
  /// Registers a new request; returns its number.
  std::size_t open();

  /// Records an ending of `request` (a second ending is recorded too: not_once() counts it).
  void end(std::size_t request, errc outcome);

  /// Waits until every opened request has ended at least once; false on timeout.
  bool all_ended(std::chrono::milliseconds timeout);

  std::size_t issued() const;                   ///< requests opened
  std::size_t in_flight() const;                ///< opened and not ended yet
  std::size_t not_once() const;                 ///< ended more than once, or (with all_ended) never
  std::size_t count(errc outcome) const;        ///< endings with this outcome
  std::map<errc, std::size_t> outcomes() const; ///< endings by outcome

private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<unsigned char> endings_; // per request; saturates at 255
  std::size_t ended_ = 0;              // requests with at least one ending
  std::map<errc, std::size_t> outcomes_;
};

} // namespace zenws::testing
