#pragma once
// Internal to the test server kit (not installed; includes Asio SSL and OpenSSL).
//
// The wss side of the test server: its TLS context, and what the OpenSSL callbacks record about
// each client's handshake (the SNI it sent, the ALPN protocols it offered).

#include <zenws/testing/certificates.hpp>
#include <zenws/testing/test_server.hpp>

#include <boost/asio/ssl/context.hpp>

#include <openssl/ssl.h>

#include <memory>
#include <string>

namespace zenws::testing::detail {

/// What the TLS callbacks saw during one handshake.
struct tls_observation {
  std::string sni;        ///< the server name the client sent; empty when none
  std::string alpn_offer; ///< the protocols the client offered, comma-separated; empty: none
};

/// The server's TLS context: TLS 1.2 or newer, `server` as certificate (chain) and key, ALPN
/// answering "http/1.1" when offered (and nothing otherwise), and, when
/// options.require_client_certificate, a demand for a client certificate that `ca_pem` signed.
/// @throws boost::system::system_error when OpenSSL rejects a certificate or key.
std::unique_ptr<boost::asio::ssl::context>
make_server_tls_context(const server_options& options, const std::string& ca_pem,
                        const issued_certificate& server);

/// Makes the callbacks of `ssl` record into `seen`, which must outlive the handshake. Uses an
/// ex_data index of our own: Asio keeps its verify callback in the SSL's app data slot and
/// deletes whatever it finds there.
void observe_tls(SSL* ssl, tls_observation* seen);

} // namespace zenws::testing::detail
