#include "zenws/actors/detail/tls_context.hpp"

#include <map>
#include <mutex>
#include <tuple>

#include <boost/asio/ssl/error.hpp>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

namespace zenws::detail {

namespace ssl = boost::asio::ssl;

namespace {

using context_key = std::tuple<bool, std::string, std::string, std::string>;

context_key key_of(const tls_config& tls) {
  return {tls.insecure, tls.ca_file, tls.cert_file, tls.key_file};
}

failure setup_failure(const std::string& what, const boost::system::error_code& ec) {
  return {errc::tls_setup_failed, what + ": " + ec.message()};
}

std::shared_ptr<ssl::context> make_context(const tls_config& tls, failure& error) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  boost::system::error_code ec;
  if (tls.insecure) {
    ctx->set_verify_mode(ssl::verify_none);
  } else {
    ctx->set_verify_mode(ssl::verify_peer);
    if (tls.ca_file.empty())
      ctx->set_default_verify_paths(ec);
    else
      ctx->load_verify_file(tls.ca_file, ec);
    if (ec) {
      error = setup_failure(tls.ca_file.empty() ? "cannot load the system CA store"
                                                : "cannot load tls.ca_file " + tls.ca_file,
                            ec);
      return nullptr;
    }
  }
  if (!tls.cert_file.empty()) {
    if (ctx->use_certificate_chain_file(tls.cert_file, ec); ec) {
      error = setup_failure("cannot load tls.cert_file " + tls.cert_file, ec);
      return nullptr;
    }
    if (ctx->use_private_key_file(tls.key_file, ssl::context::pem, ec); ec) {
      error = setup_failure("cannot load tls.key_file " + tls.key_file, ec);
      return nullptr;
    }
  }
  return ctx;
}

} // namespace

std::shared_ptr<ssl::context> client_tls_context(const tls_config& tls, failure& error) {
  static std::mutex mutex;
  static std::map<context_key, std::shared_ptr<ssl::context>> contexts;
  std::lock_guard<std::mutex> guard{mutex};
  auto& slot = contexts[key_of(tls)];
  if (!slot)
    slot = make_context(tls, error);
  return slot;
}

failure prepare_tls_connection(SSL* ssl, const tls_config& tls, const std::string& host,
                               bool host_is_ip) {
  static constexpr unsigned char alpn_http11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  if (SSL_set_alpn_protos(ssl, alpn_http11, sizeof(alpn_http11)) != 0)
    return {errc::tls_setup_failed, "cannot set ALPN"};
  if (!host_is_ip && SSL_set_tlsext_host_name(ssl, host.c_str()) != 1)
    return {errc::tls_setup_failed, "cannot set SNI for " + host};
  if (tls.insecure)
    return {};
  auto* param = SSL_get0_param(ssl);
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  const bool ok = host_is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) == 1
                             : X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0) == 1;
  if (!ok)
    return {errc::tls_setup_failed, "cannot set the name to verify: " + host};
  return {};
}

failure classify_tls_failure(SSL* ssl, const boost::system::error_code& ec,
                             const std::string& authority) {
  const long verify = SSL_get_verify_result(ssl);
  if (verify == X509_V_ERR_HOSTNAME_MISMATCH || verify == X509_V_ERR_IP_ADDRESS_MISMATCH)
    return {errc::tls_hostname_mismatch,
            "certificate of " + authority + " is not valid for this host name"};
  if (verify != X509_V_OK)
    return {errc::tls_verify_failed,
            "certificate of " + authority + " rejected: " + X509_verify_cert_error_string(verify)};
  return {errc::tls_handshake_failed, "TLS handshake with " + authority + ": " + ec.message()};
}

} // namespace zenws::detail
