#include "zenws/protocol/close_handshake.hpp"

#include <utility>

namespace zenws {

namespace {

// RFC 6455 section 7.1.5: 1005 reports a close frame without a code; it is never put on the
// wire, so the reply to such a frame carries no code either.
constexpr std::uint16_t no_status_received = 1005;

} // namespace

close_handshake::action close_handshake::start_local(std::uint16_t code, std::string reason) {
  if (state_ != state::open)
    return action::none;
  state_ = state::closing_by_us;
  local_first_ = true;
  sent_code_ = code;
  sent_reason_ = std::move(reason);
  return action::send_close;
}

close_handshake::action close_handshake::on_peer_close(std::uint16_t code, std::string reason) {
  switch (state_) {
  case state::open:
    state_ = state::closing_by_peer;
    received_code_ = code;
    received_reason_ = std::move(reason);
    sent_code_ = code == no_status_received ? 0 : code;
    return action::send_close_reply;
  case state::closing_by_us:
    state_ = state::closed;
    complete_ = true;
    received_code_ = code;
    received_reason_ = std::move(reason);
    return action::close_socket;
  case state::closing_by_peer:
  case state::closed:
    break;
  }
  return action::none;
}

void close_handshake::on_reply_written() noexcept {
  if (state_ != state::closing_by_peer)
    return;
  state_ = state::closed;
  complete_ = true;
}

void close_handshake::fail() noexcept {
  state_ = state::closed;
}

bool close_handshake::accepts_data() const noexcept {
  return state_ == state::open || state_ == state::closing_by_us;
}

} // namespace zenws
