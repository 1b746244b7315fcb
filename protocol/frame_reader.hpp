#pragma once
/// @file
/// The client's frame reader: bytes from the server in, whole messages and control frames out
/// (RFC 6455 sections 5 and 6.2). Pure: no socket, no clock. The transport feeds it whatever
/// arrived and acts on each event.
///
/// It enforces every rule a client must check on server frames: no mask, no reserved bits
/// without an extension, no reserved opcodes, control frames final and at most 125 bytes,
/// continuation only inside a fragmented message, max_message_size, UTF-8 of text messages
/// (checked fragment by fragment, so a broken message fails on the fragment that breaks it) and
/// of close reasons, and valid close codes. The first violation ends the reader: it reports an
/// error event with the close code to fail the connection with, and nothing after that.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "zenws/protocol/error.hpp"
#include "zenws/protocol/frame.hpp"
#include "zenws/protocol/utf8.hpp"

namespace zenws {

/// Decompression of permessage-deflate messages, supplied by the transport (the codec lives with
/// the I/O code because it uses Beast's zlib).
class inflater {
public:
  virtual ~inflater() = default;
  /// Appends the decompressed form of `in` to `out`. `in` is the next part of a frame's payload:
  /// the reader passes payload bytes on as they arrive, so a frame may come in several calls.
  /// With the last bytes of the message's last frame `final` is true, and the inflater appends
  /// the 00 00 FF FF tail RFC 7692 strips. Stops and returns false when `out` would exceed
  /// `limit` bytes (sets `too_big`) or the data is corrupt (sets `error` to zlib's reason).
  virtual bool inflate(std::string_view in, bool final, std::string& out, std::size_t limit,
                       bool& too_big, std::string& error) = 0;
};

/// Settings of one reader.
struct frame_reader_options {
  std::size_t max_message_size = std::size_t{16} << 20; ///< largest message after decompression
  inflater* decompressor = nullptr; ///< non-null when permessage-deflate was negotiated;
                                    ///< RSV1 is a protocol violation otherwise
};

/// One thing the reader found.
struct read_event {
  enum class type : std::uint8_t {
    none,    ///< the bytes given so far hold no complete event; feed more
    message, ///< a complete data message in `payload`
    ping,    ///< a ping with `payload`; the transport answers with a pong
    pong,    ///< a pong with `payload`
    close,   ///< a close frame: `close_code` (1005 when it had none) and `close_reason`
    error,   ///< a violation: `error` says what; fail the connection with `close_code`
  };

  type what = type::none;
  frame_kind kind = frame_kind::text; ///< for messages
  std::string payload;
  std::uint16_t close_code = 0;
  std::string close_reason;
  failure error;
};

class frame_reader {
public:
  explicit frame_reader(frame_reader_options options);

  /// Reads from `data` until one event is complete or `data` is used up. Returns the number of
  /// bytes consumed (bytes belonging to an unfinished frame are consumed and kept internally) and
  /// fills `ev` (type none when more bytes are needed; only the fields its type names are
  /// written, the others keep their values). Call again with the unconsumed rest
  /// while events come out. After an error event, every call returns that error again and
  /// consumes nothing.
  std::size_t parse(std::string_view data, read_event& ev);

  /// True once an error was reported.
  bool failed() const noexcept;

  /// Bytes of the message being assembled (0 between messages).
  std::size_t pending_message_bytes() const noexcept;

  /// Payload bytes of the frame being read that have not arrived yet (0 between frames): the
  /// transport asks the socket for at least this much, so a frame larger than its usual read
  /// does not take two.
  std::uint64_t frame_bytes_left() const noexcept;

  /// Gives back a message's payload string once the caller has copied it, so the next message
  /// is assembled in its memory instead of a new allocation. Large buffers are dropped, so an
  /// idle connection does not keep the memory of its largest message.
  void recycle(std::string buffer) noexcept;

private:
  // -- the frame being read ----------------------------------------------------------------------

  /// A decoded frame header. `op` may hold a reserved value until it is checked.
  struct frame_header {
    bool fin = false;
    bool rsv1 = false;
    bool rsv2 = false;
    bool rsv3 = false;
    bool masked = false;
    opcode op = opcode::continuation;
    std::uint64_t length = 0;
  };

  std::size_t header_needed() const noexcept;
  std::size_t read_header(std::string_view data);
  frame_header decode_header() const noexcept;
  bool begin_frame(read_event& ev);
  bool check_header(read_event& ev);
  bool check_control_frame(read_event& ev);
  bool check_data_frame(read_event& ev);
  std::size_t read_payload(std::string_view data, read_event& ev);
  void end_control_frame(read_event& ev);
  void end_close_frame(read_event& ev);

  // -- the message being assembled ---------------------------------------------------------------

  void begin_message();
  bool append_data(std::string_view chunk, bool last, read_event& ev);
  bool inflate_data(std::string_view chunk, bool last, read_event& ev);
  bool check_text(std::size_t from, bool last, read_event& ev);
  void end_message(read_event& ev);

  // -- failure -----------------------------------------------------------------------------------

  /// Records the first violation and reports it in `ev`. Returns false, so a check can end
  /// with `return fail(...)`.
  bool fail(read_event& ev, errc code, std::uint16_t send_code, std::string detail);
  bool violation(read_event& ev, std::string detail); ///< fail() with protocol_error, 1002
  void report_failure(read_event& ev) const;

  frame_reader_options options_;
  failure failure_; ///< the first violation; once set, every parse() reports it

  std::uint8_t header_bytes_[10] = {}; ///< 2 + up to 8 length bytes (a mask key is an error)
  std::size_t header_size_ = 0;        ///< bytes of header_bytes_ received
  bool in_payload_ = false;            ///< the header is complete; reading `frame_`'s payload
  frame_header frame_;
  std::uint64_t payload_left_ = 0; ///< payload bytes of `frame_` still to come
  std::string control_;            ///< payload of a control frame (at most 125 bytes)

  bool in_message_ = false; ///< from a message's first frame header to the end of its last frame
  frame_kind message_kind_ = frame_kind::text;
  bool message_compressed_ = false; ///< RSV1 was set on the message's first frame
  std::string message_;
  utf8_validator message_utf8_;
};

} // namespace zenws
