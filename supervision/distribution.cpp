#include "zenws/supervision/distribution.hpp"

#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>
#include <caf/scoped_actor.hpp>

#include "zenws/actors/connection_protocol.hpp"

namespace zenws {

namespace {

/// The middleman's own actor, or its TLS twin when the OpenSSL module is loaded: both take
/// publish and connect requests, which is all this file needs.
caf::io::middleman_actor middleman_of(caf::actor_system& sys) {
  if (sys.has_openssl_manager())
    return sys.openssl_manager().actor_handle();
  return sys.middleman().actor_handle();
}

caf::error unreachable(caf::actor_system& sys, const std::string& what, const caf::error& why) {
  return make_error(failure{errc::node_unreachable, what + ": " + sys.render(why)});
}

std::string address(const std::string& host, std::uint16_t port) {
  return host + ":" + std::to_string(port);
}

} // namespace

void enable_distribution(caf::actor_system_config& cfg, const distribution_options& options) {
  cfg.load<caf::io::middleman>();
  if (options.tls) {
    cfg.load<caf::openssl::manager>();
    cfg.openssl_certificate = options.certificate_file;
    cfg.openssl_key = options.key_file;
    cfg.openssl_cafile = options.ca_file;
  }
  cfg.set("middleman.heartbeat-interval", caf::timespan{options.heartbeat_interval});
  cfg.set("middleman.connection-timeout", caf::timespan{options.connection_timeout});
  cfg.set("middleman.app-identifiers", std::vector<std::string>{options.app_identifier});
  register_pool_types(cfg);
}

caf::expected<std::uint16_t> publish(caf::actor_system& sys, const caf::strong_actor_ptr& who,
                                     const std::set<std::string>& interface, std::uint16_t port,
                                     const std::string& host) {
  if (!who)
    return make_error(failure{errc::actor_down, "nothing to publish: the actor is null"});
  caf::expected<std::uint16_t> bound = caf::error{};
  caf::scoped_actor self{sys};
  // SO_REUSEADDR (the last argument): a node restarts on its port at once.
  self->request(middleman_of(sys), caf::infinite, caf::publish_atom::value, port, who, interface,
                host, true)
      .receive([&](std::uint16_t actual) { bound = actual; },
               [&](caf::error& err) {
                 bound = unreachable(sys, "publishing on " + address(host, port), err);
               });
  return bound;
}

caf::expected<caf::strong_actor_ptr> remote_actor(caf::actor_system& sys, const std::string& host,
                                                  std::uint16_t port,
                                                  const std::set<std::string>& interface) {
  caf::expected<caf::strong_actor_ptr> found = caf::error{};
  caf::scoped_actor self{sys};
  self->request(middleman_of(sys), std::chrono::seconds{10}, caf::connect_atom::value, host, port)
      .receive(
          [&](caf::node_id&, caf::strong_actor_ptr& published, std::set<std::string>& ifs) {
            if (!published)
              found = make_error(failure{errc::node_unreachable,
                                         "nothing is published at " + address(host, port)});
            else if (!sys.assignable(ifs, interface))
              found = make_error(
                  failure{errc::name_type_mismatch,
                          address(host, port) + " publishes an actor with another interface"});
            else
              found = std::move(published);
          },
          [&](caf::error& err) {
            found = unreachable(sys, "dialing " + address(host, port), err);
          });
  return found;
}

} // namespace zenws
