// The test server's TLS context and handshake observation; see detail/server_tls.hpp.

#include <zenws/testing/detail/server_tls.hpp>

#include <boost/asio/buffer.hpp>

namespace zenws::testing::detail {

namespace {

namespace ssl = boost::asio::ssl;

// One process-wide index, made on first use (thread-safe static initialization). The index is
// only a slot number; the data lives with each SSL object.
int observation_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

tls_observation* observation_of(SSL* ssl) {
  return static_cast<tls_observation*>(SSL_get_ex_data(ssl, observation_index()));
}

int on_servername(SSL* ssl, int* /*alert*/, void* /*arg*/) {
  if (auto* seen = observation_of(ssl)) {
    const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    seen->sni = name ? name : "";
  }
  return SSL_TLSEXT_ERR_OK; // any name: the certificate is the same, host checks are the client's
}

// `in` is the client's list in wire format: each protocol a length byte then its name.
int on_alpn(SSL* ssl, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
            unsigned int inlen, void* /*arg*/) {
  static constexpr char wanted[] = "http/1.1";
  const unsigned char* chosen = nullptr;
  std::string offer;
  for (unsigned int i = 0; i < inlen;) {
    unsigned int n = in[i];
    if (n == 0 || i + 1 + n > inlen)
      break; // malformed: keep what was well formed
    const char* name = reinterpret_cast<const char*>(in + i + 1);
    if (!offer.empty())
      offer += ',';
    offer.append(name, n);
    if (!chosen && std::string(name, n) == wanted)
      chosen = in + i + 1;
    i += 1 + n;
  }
  if (auto* seen = observation_of(ssl))
    seen->alpn_offer = offer;
  if (!chosen)
    return SSL_TLSEXT_ERR_NOACK; // continue without ALPN, as a server that speaks only HTTP/1.1
  *out = chosen;
  *outlen = static_cast<unsigned char>(sizeof wanted - 1);
  return SSL_TLSEXT_ERR_OK;
}

} // namespace

std::unique_ptr<ssl::context> make_server_tls_context(const server_options& options,
                                                      const std::string& ca_pem,
                                                      const issued_certificate& server) {
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                   ssl::context::single_dh_use);
  ctx->use_certificate_chain(boost::asio::buffer(server.certificate_pem));
  ctx->use_private_key(boost::asio::buffer(server.private_key_pem), ssl::context::pem);
  if (options.require_client_certificate) {
    ctx->add_certificate_authority(boost::asio::buffer(ca_pem));
    ctx->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
  }
  SSL_CTX* native = ctx->native_handle();
  SSL_CTX_set_tlsext_servername_callback(native, &on_servername);
  SSL_CTX_set_alpn_select_cb(native, &on_alpn, nullptr);
  return ctx;
}

void observe_tls(SSL* ssl, tls_observation* seen) {
  SSL_set_ex_data(ssl, observation_index(), seen);
}

} // namespace zenws::testing::detail
