#pragma once
/// @file
/// A certificate authority made at run time, for TLS tests on loopback: one CA, server
/// certificates for the names a test chooses, and client certificates, all signed by that CA, and
/// a private temporary directory to hand them to code that wants files.
///
/// Nothing here is meant for production: keys live in memory and in /tmp, validity is short, and
/// no revocation exists.
///
/// @par Example
/// @code
/// auto ca = zenws::testing::certificate_authority::create();
/// auto server = ca.issue_server({"localhost", "127.0.0.1"});
/// zenws::testing::pem_directory dir;
/// auto ca_file = dir.write("ca.pem", ca.certificate_pem());
/// @endcode

#include <memory>
#include <string>
#include <vector>

namespace zenws::testing {

/// A certificate and its private key, both PEM ("BEGIN CERTIFICATE", "BEGIN PRIVATE KEY").
struct issued_certificate {
  std::string certificate_pem;
  std::string private_key_pem;
};

/// A self-signed certificate authority with an EC P-256 key, made at run time.
///
/// Every certificate it issues has a fresh EC P-256 key, a random 64-bit serial number, a
/// SHA-256 signature, and is valid from one hour before its creation (so clocks a little apart
/// still accept it) for 30 days.
///
/// @par Thread safety
/// Distinct objects: safe. Shared objects: the const members may be called concurrently.
class certificate_authority {
public:
  /// Makes a new CA: a fresh key and a self-signed certificate with the subject CN
  /// `common_name`, basicConstraints CA:TRUE (critical) and keyUsage keyCertSign, cRLSign.
  /// @throws std::runtime_error naming the step and OpenSSL's error text when OpenSSL fails.
  static certificate_authority create(const std::string& common_name = "zenws test CA");

  certificate_authority(certificate_authority&&) noexcept;
  certificate_authority& operator=(certificate_authority&&) noexcept;
  ~certificate_authority();

  /// The CA certificate: what a client loads to trust the certificates issued here.
  const std::string& certificate_pem() const;

  /// Issues a server certificate (extendedKeyUsage serverAuth) whose subjectAltName lists
  /// `names` in order. A name that parses as an IPv4 or IPv6 address becomes an iPAddress entry,
  /// anything else a dNSName entry, so host name checks see what a real server would present.
  /// The subject CN is the first name (or "zenws test server" when `names` is empty, in which
  /// case the certificate has no subjectAltName and matches no host name).
  /// @throws std::runtime_error when OpenSSL fails.
  issued_certificate issue_server(const std::vector<std::string>& names) const;

  /// Issues a client certificate (extendedKeyUsage clientAuth) with the subject CN
  /// `common_name`, for servers that demand one.
  /// @throws std::runtime_error when OpenSSL fails.
  issued_certificate issue_client(const std::string& common_name = "zenws test client") const;

private:
  struct state;
  explicit certificate_authority(std::unique_ptr<state> s);
  std::unique_ptr<state> state_;
};

/// A private directory made with mkdtemp under /tmp (mode 0700) for PEM files. The destructor
/// removes the files written through it and then the directory.
///
/// @par Thread safety
/// Distinct objects: safe. Shared objects: unsafe.
class pem_directory {
public:
  /// Creates the directory, named /tmp/zenws-tls-XXXXXX.
  /// @throws std::system_error when mkdtemp fails.
  pem_directory();
  ~pem_directory();
  pem_directory(const pem_directory&) = delete;
  pem_directory& operator=(const pem_directory&) = delete;

  /// The directory's absolute path.
  const std::string& path() const { return path_; }

  /// Writes `contents` to the file `name` in the directory (mode 0600, replaced if present) and
  /// returns its absolute path. `name` is a plain file name, without '/'.
  /// @throws std::invalid_argument for a name with '/' or an empty one; std::system_error when
  /// the file cannot be written.
  std::string write(const std::string& name, const std::string& contents);

private:
  std::string path_;
  std::vector<std::string> files_;
};

} // namespace zenws::testing
