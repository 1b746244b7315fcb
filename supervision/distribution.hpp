#pragma once
/// @file
/// Reaching zenws actors across processes and machines with CAF's middleman (caf::io), and
/// with its OpenSSL module between nodes over untrusted networks.
///
///     zenws::actor_system_config cfg;           // zenws types registered
///     zenws::enable_distribution(cfg, {});      // middleman loaded, pool and node types too
///     caf::actor_system sys{cfg};
///     auto port = zenws::publish(sys, pool, 4271, "0.0.0.0");       // on the pool's node
///     auto far = zenws::remote_actor<zenws::pool_actor>(sys, "10.0.0.5", 4271); // elsewhere
///
/// Every message of the public interfaces is registered, so a remote pool, connection or node
/// agent takes the same messages as a local one. What CAF does not do, and what callers must:
/// requests to remote actors need finite timeouts (CAF never answers one whose node is lost),
/// and a lost node is not dialed again by itself (pools do that for their nodes; see
/// pool_placement).

#include <chrono>
#include <cstdint>
#include <set>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/expected.hpp>
#include <caf/typed_actor.hpp>

#include "zenws/supervision/pool_actor.hpp"

namespace zenws {

/// How this node talks to other nodes.
struct distribution_options {
  /// TLS between nodes with caf::openssl. With certificate, key and CA every link is mutually
  /// authenticated (both sides present a certificate the CA signed; CAF checks no host name).
  /// Without them CAF falls back to anonymous ECDH: encrypted, not authenticated.
  bool tls = false;
  std::string certificate_file; ///< this node's certificate (PEM)
  std::string key_file;         ///< its private key (PEM)
  std::string ca_file;          ///< the CA that signed the peers' certificates (PEM)
  /// Each link sends a heartbeat this often, and is dropped after connection_timeout without
  /// traffic: how a node that vanished without closing its sockets (power, network) is noticed.
  std::chrono::milliseconds heartbeat_interval{1000};
  std::chrono::milliseconds connection_timeout{5000};
  /// Nodes only talk to nodes with the same identifier (CAF's middleman.app-identifiers).
  std::string app_identifier = "zenws";
};

/// Loads CAF's middleman (and its OpenSSL module with `tls`) into `cfg`, applies the options
/// and registers the pool's and node agent's message types (register_pool_types). Call before
/// the actor system is created, besides register_types() (zenws::actor_system_config does that).
void enable_distribution(caf::actor_system_config& cfg, const distribution_options& options);

/// Publishes `who` with its `interface` on `port` (0 = any free port) at `host` ("" = every
/// interface), over TLS when the system loaded the OpenSSL module; returns the bound port.
/// Blocks until the port is bound. The port is bound with SO_REUSEADDR, so a node restarted on
/// its port does not wait for its predecessor's connections to leave TIME_WAIT; a port where
/// another socket listens is still refused.
caf::expected<std::uint16_t> publish(caf::actor_system& sys, const caf::strong_actor_ptr& who,
                                     const std::set<std::string>& interface, std::uint16_t port,
                                     const std::string& host);

template <class Handle>
caf::expected<std::uint16_t> publish(caf::actor_system& sys, const Handle& who, std::uint16_t port,
                                     const std::string& host = "127.0.0.1") {
  return publish(sys, caf::actor_cast<caf::strong_actor_ptr>(who), sys.message_types(who), port,
                 host);
}

/// Connects to the actor published at host:port and checks that it has `Handle`'s interface.
/// Blocks the calling thread for at most 10 s; call it outside actors, or use pool_placement,
/// which dials from inside the pool. Errors: node_unreachable, with what CAF
/// said, or name_type_mismatch when something else is published there.
caf::expected<caf::strong_actor_ptr> remote_actor(caf::actor_system& sys, const std::string& host,
                                                  std::uint16_t port,
                                                  const std::set<std::string>& interface);

template <class Handle>
caf::expected<Handle> remote_actor(caf::actor_system& sys, const std::string& host,
                                   std::uint16_t port) {
  auto found = remote_actor(sys, host, port, sys.message_types<Handle>());
  if (!found)
    return found.error();
  return caf::actor_cast<Handle>(std::move(*found));
}

} // namespace zenws
