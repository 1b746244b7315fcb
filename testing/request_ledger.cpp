#include "zenws/testing/request_ledger.hpp"

#include <algorithm>

namespace zenws::testing {

std::size_t request_ledger::open() {
  std::lock_guard<std::mutex> guard{mutex_};
  endings_.push_back(0);
  return endings_.size() - 1;
}

void request_ledger::end(std::size_t request, errc outcome) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto& n = endings_.at(request);
  if (n == 0)
    ++ended_;
  if (n < 255)
    ++n;
  ++outcomes_[outcome];
  changed_.notify_all();
}

bool request_ledger::all_ended(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock{mutex_};
  return changed_.wait_for(lock, timeout, [&] { return ended_ == endings_.size(); });
}

std::size_t request_ledger::issued() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return endings_.size();
}

std::size_t request_ledger::in_flight() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return endings_.size() - ended_;
}

std::size_t request_ledger::not_once() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return static_cast<std::size_t>(
      std::count_if(endings_.begin(), endings_.end(), [](unsigned char n) { return n != 1; }));
}

std::size_t request_ledger::count(errc outcome) const {
  std::lock_guard<std::mutex> guard{mutex_};
  const auto it = outcomes_.find(outcome);
  return it == outcomes_.end() ? 0 : it->second;
}

std::map<errc, std::size_t> request_ledger::outcomes() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return outcomes_;
}

} // namespace zenws::testing
