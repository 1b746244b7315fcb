#include "zenws/actors/detail/permessage_deflate.hpp"

#include <array>
#include <stdexcept>

#include <boost/beast/zlib/deflate_stream.hpp>
#include <boost/beast/zlib/inflate_stream.hpp>

namespace zenws::detail {

namespace zlib = boost::beast::zlib;
using boost::beast::error_code;

namespace {

// RFC 7692 section 7.2.1: a sync flush ends in this empty stored block. The sender strips it
// from every message and the receiver appends it again.
constexpr char flush_tail[] = {'\x00', '\x00', '\xFF', '\xFF'};
constexpr std::string_view flush_tail_view(flush_tail, sizeof flush_tail);

// zlib's defaults: a fair trade of speed for size on the small messages a client sends.
constexpr int compression_level = 6;
constexpr int memory_level = 8;

// Room to spare beyond deflate's bound for the sync flush marker; more than six bytes also
// keeps zlib from emitting the marker twice (zlib.h, deflate with Z_SYNC_FLUSH).
constexpr std::size_t sync_flush_slack = 16;

} // namespace

// -- inflater ------------------------------------------------------------------------------------

struct permessage_inflater::impl {
  zlib::inflate_stream stream;
  bool reset_after_message = false;
  // zlib writes here and only what it produced is appended to the message: no zero-filled
  // room to guess, and small enough to stay in L1 for the copy.
  std::array<char, 16384> scratch;

  // Inflates `in` and appends the output to `out` (at most `limit` bytes in all).
  bool write(std::string_view in, std::string& out, std::size_t limit, bool& too_big,
             std::string& error) {
    zlib::z_params zs;
    zs.next_in = in.data();
    zs.avail_in = in.size();
    for (;;) {
      zs.next_out = scratch.data();
      zs.avail_out = scratch.size();
      error_code ec;
      stream.write(zs, zlib::Flush::sync, ec);
      const auto produced = scratch.size() - zs.avail_out;
      if (produced > limit - out.size()) {
        too_big = true;
        return false;
      }
      out.append(scratch.data(), produced);
      if (ec == zlib::error::end_of_stream) {
        // The sender ended the deflate stream (a block with BFINAL set, RFC 7692 section
        // 7.2.3.4): what follows, at least our tail, starts a new one.
        stream.reset();
        if (zs.avail_in == 0)
          return true;
        continue;
      }
      if (ec && ec != zlib::error::need_buffers) {
        error = ec.message();
        return false;
      }
      // With output space left over, zlib has consumed all input and flushed all it can.
      if (zs.avail_out != 0)
        return true;
    }
  }
};

permessage_inflater::permessage_inflater(const deflate_parameters& params)
    : impl_(std::make_unique<impl>()) {
  impl_->stream.reset(params.server_max_window_bits);
  impl_->reset_after_message = params.server_no_context_takeover;
}

permessage_inflater::~permessage_inflater() = default;

bool permessage_inflater::inflate(std::string_view in, bool final, std::string& out,
                                  std::size_t limit, bool& too_big, std::string& error) {
  too_big = out.size() > limit; // write() relies on starting within the limit
  if (too_big || !impl_->write(in, out, limit, too_big, error))
    return false;
  if (!final)
    return true;
  if (!impl_->write(flush_tail_view, out, limit, too_big, error))
    return false;
  if (impl_->reset_after_message)
    impl_->stream.reset();
  return true;
}

// -- deflater ------------------------------------------------------------------------------------

struct permessage_deflater::impl {
  zlib::deflate_stream stream;
  bool reset_after_message = false;
};

permessage_deflater::permessage_deflater(const deflate_parameters& params)
    : impl_(std::make_unique<impl>()) {
  // Beast, like zlib, turns a window of 8 bits into 9. That stays compatible with a peer
  // limited to 8: deflate never looks back further than the window minus 262 bytes.
  impl_->stream.reset(compression_level, params.client_max_window_bits, memory_level,
                      zlib::Strategy::normal);
  impl_->reset_after_message = params.client_no_context_takeover;
}

permessage_deflater::~permessage_deflater() = default;

void permessage_deflater::deflate(std::string_view message, std::string& out) {
  if (message.empty()) {
    // RFC 7692 7.2.3.6: one 00 byte. zlib itself would write nothing here after an earlier
    // message: a sync flush with no new input since the last one is a no-op (Z_BUF_ERROR).
    out.push_back('\x00');
    return;
  }
  zlib::z_params zs;
  zs.next_in = message.data();
  zs.avail_in = message.size();
  const auto start = out.size();
  // One step almost always: the room is deflate's own bound for the input left.
  do {
    const auto old_size = out.size();
    const auto room = impl_->stream.upper_bound(zs.avail_in) + sync_flush_slack;
    out.resize(old_size + room);
    zs.next_out = &out[old_size];
    zs.avail_out = room;
    error_code ec;
    impl_->stream.write(zs, zlib::Flush::sync, ec);
    out.resize(old_size + room - zs.avail_out);
    if (ec && ec != zlib::error::need_buffers)
      throw std::logic_error("permessage-deflate: zlib deflate failed: " + ec.message());
  } while (zs.avail_out == 0);

  const std::string_view produced(out.data() + start, out.size() - start);
  if (produced.size() < flush_tail_view.size() ||
      produced.substr(produced.size() - flush_tail_view.size()) != flush_tail_view)
    throw std::logic_error("permessage-deflate: zlib sync flush did not end in 00 00 FF FF");
  out.resize(out.size() - flush_tail_view.size());
  if (impl_->reset_after_message)
    impl_->stream.reset();
}

} // namespace zenws::detail
