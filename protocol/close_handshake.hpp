#pragma once
/// @file
/// The closing handshake (RFC 6455 sections 5.5.1 and 7) as a pure state machine: who closed
/// first, whether data may still be delivered, and what the transport must do next.
///
///                 start_local()                  peer's close frame
///     open ---------------------> closing_by_us --------------------> closed
///       |                                                               ^
///       |  peer's close frame                    our reply written      |
///       +-----------------------> closing_by_peer ----------------------+
///       |                                                               |
///       +--------------------------- fail() ----------------------------+
///
/// Data messages are delivered while open and while closing_by_us: the peer may send until it
/// has seen our close frame, and a trading client must not drop a last fill.

#include <cstdint>
#include <string>

namespace zenws {

class close_handshake {
public:
  enum class state : std::uint8_t { open, closing_by_us, closing_by_peer, closed };

  /// What the transport must do after an event.
  enum class action : std::uint8_t {
    none,             ///< nothing (e.g. a second close request)
    send_close,       ///< write our close frame with the recorded code and reason
    send_close_reply, ///< write a close frame echoing the peer's code, then close the socket
    close_socket,     ///< the handshake is complete: shut the socket down
  };

  state current() const noexcept { return state_; }

  /// We want to close with `code` (0 = no code) and `reason`. send_close only from open.
  action start_local(std::uint16_t code, std::string reason);

  /// The peer's close frame arrived with `code` (1005 when it had none) and `reason`. From open,
  /// sent_code() becomes the code the reply echoes (0, no code, when the peer sent none).
  action on_peer_close(std::uint16_t code, std::string reason);

  /// Our close reply (after the peer's close) was written; the handshake is complete.
  void on_reply_written() noexcept;

  /// The connection failed or the socket ended: closed without a handshake, unless it was done.
  void fail() noexcept;

  /// True while incoming data messages must still be delivered.
  bool accepts_data() const noexcept;

  /// True while we may still send data frames (only when open).
  bool accepts_sends() const noexcept { return state_ == state::open; }

  /// Who sent the first close frame, if anyone; and the codes each side sent.
  bool closed_by_us() const noexcept { return local_first_; }
  bool handshake_complete() const noexcept { return complete_; }
  std::uint16_t sent_code() const noexcept { return sent_code_; }
  const std::string& sent_reason() const noexcept { return sent_reason_; }
  std::uint16_t received_code() const noexcept { return received_code_; }
  const std::string& received_reason() const noexcept { return received_reason_; }

private:
  state state_ = state::open;
  bool local_first_ = false;
  bool complete_ = false;
  std::uint16_t sent_code_ = 0;
  std::string sent_reason_;
  std::uint16_t received_code_ = 0;
  std::string received_reason_;
};

} // namespace zenws
