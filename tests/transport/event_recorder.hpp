#pragma once
// A transport_events sink for transport tests: records every event and lets the test wait for
// them. No CAF, so these tests run under ThreadSanitizer.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "zenws/actors/transport.hpp"

namespace zenws::test {

class event_recorder final : public transport_events {
public:
  struct message {
    frame_kind kind;
    std::string payload;
  };

  void on_open(upgrade_response response) override {
    update([&] { opened_ = std::move(response); });
  }
  void on_messages(message_batch batch) override {
    update([&] {
      for (const auto m : batch.messages())
        messages_.push_back({m.kind, std::string(m.payload)});
    });
  }
  void on_ping(std::string payload) override {
    update([&] { pings_.push_back(std::move(payload)); });
  }
  void on_pong(std::string payload) override {
    update([&] { pongs_.push_back(std::move(payload)); });
  }
  void on_closed(disconnect_info info) override {
    update([&] {
      ++closed_count_;
      closed_ = std::move(info);
    });
  }

  /// The upgrade response once open; nullopt if it did not open within `timeout`.
  std::optional<upgrade_response> wait_open(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock{mutex_};
    changed_.wait_for(lock, timeout, [&] { return opened_.has_value() || closed_count_ > 0; });
    return opened_;
  }

  /// How the transport ended; nullopt if it did not end within `timeout`.
  std::optional<disconnect_info> wait_closed(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock{mutex_};
    changed_.wait_for(lock, timeout, [&] { return closed_count_ > 0; });
    return closed_;
  }

  /// True once `count` messages have arrived.
  bool wait_messages(std::size_t count, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock{mutex_};
    return changed_.wait_for(lock, timeout, [&] { return messages_.size() >= count; });
  }

  std::vector<message> messages() const {
    std::lock_guard<std::mutex> lock{mutex_};
    return messages_;
  }
  std::vector<std::string> pongs() const {
    std::lock_guard<std::mutex> lock{mutex_};
    return pongs_;
  }
  std::vector<std::string> pings() const {
    std::lock_guard<std::mutex> lock{mutex_};
    return pings_;
  }
  int closed_count() const {
    std::lock_guard<std::mutex> lock{mutex_};
    return closed_count_;
  }

private:
  void update(const std::function<void()>& change) {
    {
      std::lock_guard<std::mutex> lock{mutex_};
      change();
    }
    changed_.notify_all();
  }

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::optional<upgrade_response> opened_;
  std::vector<message> messages_;
  std::vector<std::string> pings_;
  std::vector<std::string> pongs_;
  std::optional<disconnect_info> closed_;
  int closed_count_ = 0;
};

} // namespace zenws::test
