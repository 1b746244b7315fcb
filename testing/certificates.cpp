#include <zenws/testing/certificates.hpp>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <stdexcept>
#include <system_error>

namespace zenws::testing {

namespace {

// -- OpenSSL ownership ---------------------------------------------------------------------------

struct pkey_free {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct x509_free {
  void operator()(X509* p) const { X509_free(p); }
};
struct x509_extension_free {
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
};
struct general_names_free {
  void operator()(GENERAL_NAMES* p) const { GENERAL_NAMES_free(p); }
};
struct bio_free {
  void operator()(BIO* p) const { BIO_free(p); }
};
struct bignum_free {
  void operator()(BIGNUM* p) const { BN_free(p); }
};

using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_free>;
using x509_ptr = std::unique_ptr<X509, x509_free>;

constexpr long one_hour_seconds = 60L * 60L;
constexpr long validity_seconds = 30L * 24L * one_hour_seconds;

// Throws with the step that failed and everything OpenSSL queued about it (the queue is
// per thread, so this drains only our own errors).
[[noreturn]] void fail(const char* step) {
  std::string text = std::string{"certificate_authority: "} + step + " failed";
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    text += ": ";
    text += buf;
  }
  throw std::runtime_error{text};
}

void check(int ok, const char* step) {
  if (ok != 1)
    fail(step);
}

pkey_ptr make_key() {
  pkey_ptr key{EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")};
  if (!key)
    fail("EC P-256 key generation");
  return key;
}

std::string to_pem(X509* cert) {
  std::unique_ptr<BIO, bio_free> bio{BIO_new(BIO_s_mem())};
  if (!bio)
    fail("BIO_new");
  check(PEM_write_bio_X509(bio.get(), cert), "PEM_write_bio_X509");
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

std::string to_pem(EVP_PKEY* key) {
  std::unique_ptr<BIO, bio_free> bio{BIO_new(BIO_s_mem())};
  if (!bio)
    fail("BIO_new");
  check(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr),
        "PEM_write_bio_PrivateKey");
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

// A random positive 64-bit serial: RFC 5280 wants serials unique per CA, and clients cache
// certificates by issuer and serial, so two CAs made in one test run must not collide.
void set_random_serial(X509* cert) {
  unsigned char bytes[8];
  check(RAND_bytes(bytes, sizeof bytes), "RAND_bytes");
  bytes[0] &= 0x7f;
  bytes[0] |= 0x01; // never zero, never negative
  std::unique_ptr<BIGNUM, bignum_free> bn{BN_bin2bn(bytes, sizeof bytes, nullptr)};
  if (!bn || !BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)))
    fail("serial number");
}

void set_common_name(X509_NAME* name, const std::string& cn) {
  // X.520 limits a CN to 64 characters; a longer name still goes into the subjectAltName.
  const std::string text = cn.substr(0, 64);
  check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(text.data()),
                                   static_cast<int>(text.size()), -1, 0),
        "subject name");
}

// Adds an extension written in OpenSSL's configuration syntax; `issuer` is the signing
// certificate (the certificate itself for the CA), which the key identifiers need.
void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  std::unique_ptr<X509_EXTENSION, x509_extension_free> ext{
      X509V3_EXT_conf_nid(nullptr, &ctx, nid, value)};
  if (!ext)
    fail(value);
  check(X509_add_ext(cert, ext.get(), -1), "X509_add_ext");
}

// Builds the subjectAltName from typed entries rather than from a "DNS:a,IP:b" string, so that
// a name containing ',' or ':' cannot change the meaning of the list.
void add_subject_alt_names(X509* cert, const std::vector<std::string>& names) {
  if (names.empty())
    return;
  std::unique_ptr<GENERAL_NAMES, general_names_free> list{sk_GENERAL_NAME_new_null()};
  if (!list)
    fail("subjectAltName list");
  for (const auto& name : names) {
    GENERAL_NAME* entry = GENERAL_NAME_new();
    if (!entry)
      fail("subjectAltName entry");
    if (ASN1_OCTET_STRING* ip = a2i_IPADDRESS(name.c_str())) {
      GENERAL_NAME_set0_value(entry, GEN_IPADD, ip);
    } else {
      ERR_clear_error(); // "not an IP address" is the answer we asked for, not a failure
      ASN1_IA5STRING* dns = ASN1_IA5STRING_new();
      if (!dns || !ASN1_STRING_set(dns, name.data(), static_cast<int>(name.size()))) {
        ASN1_IA5STRING_free(dns);
        GENERAL_NAME_free(entry);
        fail("dNSName");
      }
      GENERAL_NAME_set0_value(entry, GEN_DNS, dns);
    }
    if (!sk_GENERAL_NAME_push(list.get(), entry)) {
      GENERAL_NAME_free(entry);
      fail("subjectAltName push");
    }
  }
  check(X509_add1_ext_i2d(cert, NID_subject_alt_name, list.get(), 0, X509V3_ADD_DEFAULT),
        "subjectAltName");
}

// A version 3 certificate for `key` with serial, validity and subject, not yet signed.
x509_ptr make_certificate(EVP_PKEY* key, const std::string& common_name) {
  x509_ptr cert{X509_new()};
  if (!cert)
    fail("X509_new");
  check(X509_set_version(cert.get(), X509_VERSION_3), "X509_set_version");
  set_random_serial(cert.get());
  if (!X509_gmtime_adj(X509_getm_notBefore(cert.get()), -one_hour_seconds) ||
      !X509_gmtime_adj(X509_getm_notAfter(cert.get()), validity_seconds))
    fail("validity");
  check(X509_set_pubkey(cert.get(), key), "X509_set_pubkey");
  set_common_name(X509_get_subject_name(cert.get()), common_name);
  return cert;
}

} // namespace

// -- certificate_authority -----------------------------------------------------------------------

struct certificate_authority::state {
  pkey_ptr key;
  x509_ptr cert;
  std::string cert_pem;

  // Signs a leaf certificate for a new key; `usage` is its extendedKeyUsage.
  issued_certificate issue(const std::string& common_name, const char* usage,
                           const std::vector<std::string>& names) const {
    pkey_ptr leaf_key = make_key();
    x509_ptr leaf = make_certificate(leaf_key.get(), common_name);
    check(X509_set_issuer_name(leaf.get(), X509_get_subject_name(cert.get())), "issuer name");
    add_extension(leaf.get(), cert.get(), NID_basic_constraints, "critical,CA:FALSE");
    add_extension(leaf.get(), cert.get(), NID_key_usage, "critical,digitalSignature");
    add_extension(leaf.get(), cert.get(), NID_ext_key_usage, usage);
    add_extension(leaf.get(), cert.get(), NID_subject_key_identifier, "hash");
    add_extension(leaf.get(), cert.get(), NID_authority_key_identifier, "keyid:always");
    add_subject_alt_names(leaf.get(), names);
    if (X509_sign(leaf.get(), key.get(), EVP_sha256()) <= 0)
      fail("X509_sign");
    return {to_pem(leaf.get()), to_pem(leaf_key.get())};
  }
};

certificate_authority::certificate_authority(std::unique_ptr<state> s) : state_(std::move(s)) {}
certificate_authority::certificate_authority(certificate_authority&&) noexcept = default;
certificate_authority& certificate_authority::operator=(certificate_authority&&) noexcept = default;
certificate_authority::~certificate_authority() = default;

certificate_authority certificate_authority::create(const std::string& common_name) {
  auto s = std::make_unique<state>();
  s->key = make_key();
  s->cert = make_certificate(s->key.get(), common_name);
  X509* cert = s->cert.get();
  check(X509_set_issuer_name(cert, X509_get_subject_name(cert)), "issuer name");
  add_extension(cert, cert, NID_basic_constraints, "critical,CA:TRUE");
  add_extension(cert, cert, NID_key_usage, "critical,keyCertSign,cRLSign");
  // The subject key identifier must exist before the authority key identifier refers to it.
  add_extension(cert, cert, NID_subject_key_identifier, "hash");
  add_extension(cert, cert, NID_authority_key_identifier, "keyid:always");
  if (X509_sign(cert, s->key.get(), EVP_sha256()) <= 0)
    fail("X509_sign");
  s->cert_pem = to_pem(cert);
  return certificate_authority{std::move(s)};
}

const std::string& certificate_authority::certificate_pem() const {
  return state_->cert_pem;
}

issued_certificate
certificate_authority::issue_server(const std::vector<std::string>& names) const {
  return state_->issue(names.empty() ? "zenws test server" : names.front(), "serverAuth", names);
}

issued_certificate certificate_authority::issue_client(const std::string& common_name) const {
  return state_->issue(common_name, "clientAuth", {});
}

// -- pem_directory -------------------------------------------------------------------------------

pem_directory::pem_directory() {
  char name[] = "/tmp/zenws-tls-XXXXXX";
  if (!::mkdtemp(name))
    throw std::system_error{errno, std::generic_category(), "pem_directory: mkdtemp"};
  path_ = name;
}

pem_directory::~pem_directory() {
  // Only what we wrote: a directory someone else filled is left in place rather than wiped.
  for (const auto& file : files_)
    ::unlink(file.c_str());
  ::rmdir(path_.c_str());
}

std::string pem_directory::write(const std::string& name, const std::string& contents) {
  if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..")
    throw std::invalid_argument{"pem_directory::write: not a plain file name: " + name};
  std::string file = path_ + "/" + name;
  // 0600 from the start: a private key must never be readable by others, not even briefly.
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    throw std::system_error{errno, std::generic_category(), "pem_directory: open " + file};
  const char* p = contents.data();
  std::size_t left = contents.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      int e = errno;
      ::close(fd);
      throw std::system_error{e, std::generic_category(), "pem_directory: write " + file};
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  ::close(fd);
  if (std::find(files_.begin(), files_.end(), file) == files_.end())
    files_.push_back(file);
  return file;
}

} // namespace zenws::testing
