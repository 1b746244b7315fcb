#pragma once
/// @file
/// A first-in first-out queue that costs nothing while empty.
///
/// std::deque allocates a 512-byte block and its map as soon as it is constructed. A connection
/// holds several queues (writes, held frames, outstanding pings, bootstrap steps) that are empty
/// almost all the time; with deques, ten thousand idle connections carried 20 MiB of empty
/// blocks. fifo keeps its items in a vector with a moving head: no allocation until the first
/// push, one contiguous buffer after, and the consumed prefix is dropped when it has grown to
/// half of the buffer (so pop_front stays amortized O(1)).

#include <cstddef>
#include <utility>
#include <vector>

namespace zenws {

template <class T>
class fifo {
public:
  using value_type = T;
  using iterator = typename std::vector<T>::iterator;
  using const_iterator = typename std::vector<T>::const_iterator;

  bool empty() const noexcept { return head_ == items_.size(); }
  std::size_t size() const noexcept { return items_.size() - head_; }

  T& front() { return items_[head_]; }
  const T& front() const { return items_[head_]; }
  T& back() { return items_.back(); }
  const T& back() const { return items_.back(); }

  void push_back(T item) { items_.push_back(std::move(item)); }
  template <class... Ts>
  T& emplace_back(Ts&&... xs) {
    return items_.emplace_back(std::forward<Ts>(xs)...);
  }

  void pop_front() {
    ++head_;
    if (head_ == items_.size())
      clear();
    else if (head_ >= compact_after && head_ * 2 >= items_.size())
      compact();
  }

  iterator begin() noexcept { return items_.begin() + static_cast<std::ptrdiff_t>(head_); }
  iterator end() noexcept { return items_.end(); }
  const_iterator begin() const noexcept {
    return items_.begin() + static_cast<std::ptrdiff_t>(head_);
  }
  const_iterator end() const noexcept { return items_.end(); }

  iterator insert(iterator pos, T item) { return items_.insert(pos, std::move(item)); }
  iterator erase(iterator pos) { return items_.erase(pos); }
  iterator erase(iterator first, iterator last) { return items_.erase(first, last); }

  /// Empties the queue; the buffer is kept for the next items.
  void clear() noexcept {
    items_.clear();
    head_ = 0;
  }

private:
  static constexpr std::size_t compact_after = 32;

  void compact() {
    items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }

  std::vector<T> items_;
  std::size_t head_ = 0; ///< items_[head_] is the front; the ones before were popped
};

} // namespace zenws
