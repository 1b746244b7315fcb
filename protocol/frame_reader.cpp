#include "zenws/protocol/frame_reader.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

#include "zenws/protocol/close_code.hpp"

namespace zenws {

namespace {

constexpr std::uint16_t code_of(close_code c) {
  return static_cast<std::uint16_t>(c);
}

bool is_control(opcode op) {
  return (static_cast<std::uint8_t>(op) & 0x8) != 0;
}

bool is_reserved(opcode op) {
  switch (op) {
  case opcode::continuation:
  case opcode::text:
  case opcode::binary:
  case opcode::close:
  case opcode::ping:
  case opcode::pong:
    return false;
  }
  return true;
}

// "0x3": opcodes are 4 bits, one hex digit.
std::string hex(opcode op) {
  return std::string("0x") + "0123456789ABCDEF"[static_cast<int>(op)];
}

const char* name_of(opcode op) {
  return op == opcode::text ? "text" : "binary";
}

} // namespace

frame_reader::frame_reader(frame_reader_options options) : options_(options) {}

bool frame_reader::failed() const noexcept {
  return static_cast<bool>(failure_);
}

std::size_t frame_reader::pending_message_bytes() const noexcept {
  return message_.size();
}

std::uint64_t frame_reader::frame_bytes_left() const noexcept {
  return in_payload_ ? payload_left_ : 0;
}

std::size_t frame_reader::parse(std::string_view data, read_event& ev) {
  ev.what = read_event::type::none;
  if (failed()) {
    report_failure(ev);
    return 0;
  }
  std::size_t used = 0;
  while (ev.what == read_event::type::none) {
    if (!in_payload_) {
      used += read_header(data.substr(used));
      if (header_size_ != header_needed() || !begin_frame(ev))
        break;
    }
    // Runs for an empty rest too: a zero-length frame ends right after its header.
    used += read_payload(data.substr(used), ev);
    if (in_payload_)
      break;
  }
  return used;
}

// -- the frame being read ------------------------------------------------------------------------

std::size_t frame_reader::header_needed() const noexcept {
  if (header_size_ < 2)
    return 2;
  switch (header_bytes_[1] & 0x7F) {
  case 126:
    return 2 + 2;
  case 127:
    return 2 + 8;
  default:
    return 2;
  }
}

// Collects the header in header_bytes_, also when it arrives a byte at a time. The first two
// bytes say how many length bytes follow; a masking key is never read (it is an error).
std::size_t frame_reader::read_header(std::string_view data) {
  std::size_t used = 0;
  while (header_size_ < header_needed() && used < data.size()) {
    const auto n = std::min(header_needed() - header_size_, data.size() - used);
    std::memcpy(header_bytes_ + header_size_, data.data() + used, n);
    header_size_ += n;
    used += n;
  }
  return used;
}

frame_reader::frame_header frame_reader::decode_header() const noexcept {
  frame_header h;
  const auto b0 = header_bytes_[0];
  const auto b1 = header_bytes_[1];
  h.fin = (b0 & 0x80) != 0;
  h.rsv1 = (b0 & 0x40) != 0;
  h.rsv2 = (b0 & 0x20) != 0;
  h.rsv3 = (b0 & 0x10) != 0;
  h.op = static_cast<opcode>(b0 & 0x0F);
  h.masked = (b1 & 0x80) != 0;
  h.length = b1 & 0x7F;
  if (header_size_ > 2) {
    h.length = 0;
    for (std::size_t i = 2; i < header_size_; ++i)
      h.length = h.length << 8 | header_bytes_[i];
  }
  return h;
}

bool frame_reader::begin_frame(read_event& ev) {
  frame_ = decode_header();
  header_size_ = 0;
  if (!check_header(ev))
    return false;
  in_payload_ = true;
  payload_left_ = frame_.length;
  if (is_control(frame_.op)) {
    control_.clear();
    return true;
  }
  if (frame_.op != opcode::continuation)
    begin_message();
  // The length is within max_message_size (checked above), so reserving it whole is bounded,
  // and the payload then lands in the buffer with one copy however it is split across reads.
  if (!message_compressed_)
    message_.reserve(message_.size() + frame_.length);
  return true;
}

bool frame_reader::check_header(read_event& ev) {
  if (frame_.masked)
    return violation(ev, "server frame is masked");
  if (frame_.rsv2 || frame_.rsv3)
    return violation(ev, frame_.rsv2 ? "reserved bit RSV2 set" : "reserved bit RSV3 set");
  if (is_reserved(frame_.op))
    return violation(ev, "reserved opcode " + hex(frame_.op));
  if (frame_.length >> 63 != 0)
    return violation(ev, "64-bit payload length has its most significant bit set");
  return is_control(frame_.op) ? check_control_frame(ev) : check_data_frame(ev);
}

bool frame_reader::check_control_frame(read_event& ev) {
  if (!frame_.fin)
    return violation(ev, "control frame " + hex(frame_.op) + " without FIN");
  if (frame_.rsv1)
    return violation(ev, "RSV1 set on control frame " + hex(frame_.op));
  if (frame_.length > max_control_payload)
    return violation(ev, "control frame payload of " + std::to_string(frame_.length) +
                             " bytes exceeds " + std::to_string(max_control_payload));
  return true;
}

bool frame_reader::check_data_frame(read_event& ev) {
  if (frame_.rsv1 && options_.decompressor == nullptr)
    return violation(ev, "RSV1 set but permessage-deflate was not negotiated");
  const bool continuation = frame_.op == opcode::continuation;
  if (continuation && frame_.rsv1)
    return violation(ev, "RSV1 set on a continuation frame");
  if (continuation && !in_message_)
    return violation(ev, "continuation frame without a message in progress");
  if (!continuation && in_message_)
    return violation(ev, std::string(name_of(frame_.op)) +
                             " frame while a fragmented message is in progress");

  const auto max = options_.max_message_size;
  const bool compressed = continuation ? message_compressed_ : frame_.rsv1;
  // A compressed frame is never buffered, but one longer than the limit cannot be a message
  // within it either; the inflated size is checked against the limit as it grows.
  if (compressed && frame_.length > max)
    return fail(ev, errc::message_too_big, code_of(close_code::message_too_big),
                "compressed frame of " + std::to_string(frame_.length) +
                    " bytes exceeds max_message_size " + std::to_string(max));
  // message_ is empty before a message's first frame, so this covers both cases. Checked
  // before a byte of the payload is buffered: a 2^62-byte header fails at once.
  if (!compressed && frame_.length > max - message_.size())
    return fail(ev, errc::message_too_big, code_of(close_code::message_too_big),
                "message of at least " + std::to_string(message_.size() + frame_.length) +
                    " bytes exceeds max_message_size " + std::to_string(max));
  return true;
}

std::size_t frame_reader::read_payload(std::string_view data, read_event& ev) {
  const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(payload_left_, data.size()));
  const auto chunk = data.substr(0, n);
  payload_left_ -= n;
  in_payload_ = payload_left_ != 0;
  if (is_control(frame_.op)) {
    control_.append(chunk);
    if (!in_payload_)
      end_control_frame(ev);
    return n;
  }
  const bool message_done = !in_payload_ && frame_.fin;
  if (append_data(chunk, message_done, ev) && message_done)
    end_message(ev);
  return n;
}

void frame_reader::end_control_frame(read_event& ev) {
  switch (frame_.op) {
  case opcode::ping:
    ev.what = read_event::type::ping;
    break;
  case opcode::pong:
    ev.what = read_event::type::pong;
    break;
  default:
    end_close_frame(ev);
    return;
  }
  ev.payload = std::move(control_);
  control_.clear();
}

// RFC 6455 section 5.5.1: empty, or a 2-byte code and a UTF-8 reason.
void frame_reader::end_close_frame(read_event& ev) {
  const std::string_view payload = control_;
  if (payload.size() == 1) {
    violation(ev, "close frame with a 1-byte payload");
    return;
  }
  std::uint16_t code = code_of(close_code::no_status);
  std::string_view reason;
  if (!payload.empty()) {
    code = static_cast<std::uint16_t>(static_cast<unsigned char>(payload[0]) << 8 |
                                      static_cast<unsigned char>(payload[1]));
    reason = payload.substr(2);
    if (!is_valid_received(code)) {
      violation(ev, "close code " + std::to_string(code) + " is not valid on the wire");
      return;
    }
    if (!is_valid_utf8(reason)) {
      fail(ev, errc::invalid_utf8, code_of(close_code::invalid_payload),
           "close reason is not valid UTF-8");
      return;
    }
  }
  ev.what = read_event::type::close;
  ev.close_code = code;
  ev.close_reason.assign(reason);
}

// -- the message being assembled -----------------------------------------------------------------

void frame_reader::begin_message() {
  in_message_ = true;
  message_kind_ = frame_.op == opcode::text ? frame_kind::text : frame_kind::binary;
  message_compressed_ = frame_.rsv1;
  message_utf8_.reset();
}

bool frame_reader::append_data(std::string_view chunk, bool last, read_event& ev) {
  if (message_compressed_)
    return inflate_data(chunk, last, ev);
  const auto from = message_.size();
  message_.append(chunk);
  return check_text(from, last, ev);
}

bool frame_reader::inflate_data(std::string_view chunk, bool last, read_event& ev) {
  if (chunk.empty() && !last)
    return true;
  const auto from = message_.size();
  bool too_big = false;
  std::string error;
  if (!options_.decompressor->inflate(chunk, last, message_, options_.max_message_size, too_big,
                                      error)) {
    if (too_big)
      return fail(ev, errc::message_too_big, code_of(close_code::message_too_big),
                  "inflated message exceeds max_message_size " +
                      std::to_string(options_.max_message_size));
    return violation(ev, "compressed message is corrupt: " + error);
  }
  return check_text(from, last, ev);
}

// Checks the bytes appended since `from`, so a text message fails on the fragment that breaks
// it; a code point may still continue in the next fragment unless this is the last.
bool frame_reader::check_text(std::size_t from, bool last, read_event& ev) {
  if (message_kind_ != frame_kind::text)
    return true;
  const std::string_view added(message_.data() + from, message_.size() - from);
  if (message_utf8_.feed(added) && (!last || message_utf8_.complete()))
    return true;
  return fail(ev, errc::invalid_utf8, code_of(close_code::invalid_payload),
              "text message is not valid UTF-8");
}

void frame_reader::recycle(std::string buffer) noexcept {
  constexpr std::size_t max_kept_bytes = 4096;
  if (in_message_ || message_.capacity() >= buffer.capacity() || buffer.capacity() > max_kept_bytes)
    return;
  message_ = std::move(buffer);
  message_.clear();
}

void frame_reader::end_message(read_event& ev) {
  ev.what = read_event::type::message;
  ev.kind = message_kind_;
  ev.payload = std::move(message_);
  message_.clear();
  in_message_ = false;
}

// -- failure -------------------------------------------------------------------------------------

bool frame_reader::fail(read_event& ev, errc code, std::uint16_t send_code, std::string detail) {
  failure_.code = code;
  failure_.close_code = send_code;
  failure_.detail = std::move(detail);
  report_failure(ev);
  return false;
}

bool frame_reader::violation(read_event& ev, std::string detail) {
  return fail(ev, errc::protocol_violation, code_of(close_code::protocol_error), std::move(detail));
}

void frame_reader::report_failure(read_event& ev) const {
  ev.what = read_event::type::error;
  ev.error = failure_;
  ev.close_code = failure_.close_code;
}

} // namespace zenws
