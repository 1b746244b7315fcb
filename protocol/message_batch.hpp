#pragma once
/// @file
/// Messages that arrived together, payloads back to back in one buffer.
///
/// A socket read of market data holds hundreds of small messages. Handing each one on as its
/// own string and its own actor message costs an allocation and a mailbox hop per message;
/// a batch costs one of each per read. The connection hands its handler a batch when the
/// handler asks for them (connection_options::deliver_batches).
///
/// @code
/// for (auto m : batch.messages())    // in arrival order
///   if (m.kind == zenws::frame_kind::text)
///     on_market_data(m.payload);     // std::string_view into the batch
/// @endcode

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "zenws/protocol/frame.hpp"

namespace zenws {

class message_batch {
public:
  /// One message: where its payload lies in the batch's buffer.
  struct entry {
    std::size_t offset = 0;
    std::size_t size = 0;
    frame_kind kind = frame_kind::text;
  };

  /// A message as callers see it; the view lives as long as the batch is not changed.
  struct message {
    frame_kind kind;
    std::string_view payload;
  };

  /// Iterates over a batch's messages.
  class const_iterator {
  public:
    const_iterator(const message_batch* batch, std::size_t index) : batch_(batch), index_(index) {}
    message operator*() const { return (*batch_)[index_]; }
    const_iterator& operator++() {
      ++index_;
      return *this;
    }
    bool operator==(const const_iterator& other) const { return index_ == other.index_; }
    bool operator!=(const const_iterator& other) const { return index_ != other.index_; }

  private:
    const message_batch* batch_;
    std::size_t index_;
  };

  /// Appends a copy of `payload`.
  void add(frame_kind kind, std::string_view payload);

  /// Appends the messages of `other`, in order.
  void append(const message_batch& other);

  /// Makes room for `bytes` of payload in `messages` messages, so that adding them allocates
  /// once rather than growing step by step.
  void reserve(std::size_t bytes, std::size_t messages);

  std::size_t size() const noexcept { return entries_.size(); }
  bool empty() const noexcept { return entries_.empty(); }
  /// Payload bytes of all messages.
  std::size_t bytes() const noexcept { return data_.size(); }

  message operator[](std::size_t i) const {
    const auto& e = entries_[i];
    return {e.kind, std::string_view{data_}.substr(e.offset, e.size)};
  }

  /// The messages as a range: `for (auto m : batch.messages())`. (The batch itself is not a
  /// range, so that CAF serializes it with inspect() rather than as a container.)
  struct range {
    const message_batch* batch;
    const_iterator begin() const { return {batch, 0}; }
    const_iterator end() const { return {batch, batch->size()}; }
  };
  range messages() const { return {this}; }

  /// Empties the batch, keeping its memory for the next messages.
  void clear() noexcept;

  bool operator==(const message_batch& other) const;

  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, message_batch& x) {
    return f(x.data_, x.entries_);
  }
  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, entry& x) {
    return f(x.offset, x.size, x.kind);
  }

private:
  std::string data_;
  std::vector<entry> entries_;
};

} // namespace zenws
