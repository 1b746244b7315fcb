#pragma once
/// @file
/// permessage-deflate (RFC 7692) on Beast's zlib: the inflater the frame reader calls for
/// compressed server messages, and the deflater for our outgoing messages. Beast stays behind
/// the pimpl, so including this header costs no Beast headers.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "zenws/protocol/frame_reader.hpp"
#include "zenws/protocol/handshake.hpp"

namespace zenws::detail {

/// Inflates the server's compressed messages (RFC 7692 section 7.2.2) with a window of
/// server_max_window_bits, starting over after each message when server_no_context_takeover
/// was negotiated.
///
/// @par Thread safety
/// One connection's reader uses it; not for concurrent use.
class permessage_inflater final : public inflater {
public:
  explicit permessage_inflater(const deflate_parameters& params);
  ~permessage_inflater() override;

  /// See inflater::inflate. Returns false with `too_big` set when `out` would grow past `limit`,
  /// or with `error` set to zlib's reason when `in` is not valid deflate data. Either way the
  /// message is lost and so is the connection: the stream is not usable afterwards.
  bool inflate(std::string_view in, bool final, std::string& out, std::size_t limit, bool& too_big,
               std::string& error) override;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// Deflates our outgoing messages (RFC 7692 section 7.2.1) with a window of
/// client_max_window_bits, starting over after each message when client_no_context_takeover
/// was negotiated.
///
/// @par Thread safety
/// One connection's writer uses it; not for concurrent use.
class permessage_deflater {
public:
  explicit permessage_deflater(const deflate_parameters& params);
  ~permessage_deflater();

  /// Appends the compressed form of one whole `message` to `out`: the payload of a data frame
  /// with RSV1 set, the 00 00 FF FF tail of the sync flush already stripped. Always succeeds;
  /// throws std::logic_error only if zlib reports misuse, which would be a bug here.
  void deflate(std::string_view message, std::string& out);

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace zenws::detail
