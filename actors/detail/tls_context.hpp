#pragma once
// TLS client setup for the transport: shared SSL contexts per tls_config, per-connection SNI,
// host name verification and ALPN, and the classification of TLS failures.

#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>
#include <boost/system/error_code.hpp>

#include "zenws/protocol/config.hpp"
#include "zenws/protocol/error.hpp"

namespace zenws::detail {

/// The SSL context for `tls`, shared by every connection with the same settings (loading the
/// system CA store per connection would cost milliseconds and ~1 MB each). Thread-safe. On
/// failure returns null and fills `error` with tls_setup_failed.
std::shared_ptr<boost::asio::ssl::context> client_tls_context(const tls_config& tls,
                                                              failure& error);

/// Per-connection settings on a fresh SSL object: SNI (host names only, never IP literals, as
/// RFC 6066 says), the name or address the certificate must match (unless insecure), and ALPN
/// offering only http/1.1 (a venue behind Cloudflare breaks if h2 is negotiated). `host` is the
/// URL host unless tls.server_name overrides it.
failure prepare_tls_connection(SSL* ssl, const tls_config& tls, const std::string& host,
                               bool host_is_ip);

/// Maps a failed TLS handshake to tls_verify_failed, tls_hostname_mismatch or
/// tls_handshake_failed, with OpenSSL's reason in the detail.
failure classify_tls_failure(SSL* ssl, const boost::system::error_code& ec,
                             const std::string& authority);

} // namespace zenws::detail
