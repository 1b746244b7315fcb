#include "zenws/protocol/message_batch.hpp"

namespace zenws {

void message_batch::add(frame_kind kind, std::string_view payload) {
  entries_.push_back({data_.size(), payload.size(), kind});
  data_.append(payload);
}

void message_batch::append(const message_batch& other) {
  data_.reserve(data_.size() + other.data_.size());
  for (const auto m : other.messages())
    add(m.kind, m.payload);
}

void message_batch::reserve(std::size_t bytes, std::size_t messages) {
  data_.reserve(bytes);
  entries_.reserve(messages);
}

void message_batch::clear() noexcept {
  data_.clear();
  entries_.clear();
}

bool message_batch::operator==(const message_batch& other) const {
  if (size() != other.size())
    return false;
  for (std::size_t i = 0; i < size(); ++i) {
    const auto a = (*this)[i];
    const auto b = other[i];
    if (a.kind != b.kind || a.payload != b.payload)
      return false;
  }
  return true;
}

} // namespace zenws
