#include "zenws/supervision/registry.hpp"

#include <algorithm>
#include <mutex>
#include <string>

#include <caf/abstract_actor.hpp>
#include <caf/actor_addr.hpp>
#include <caf/actor_registry.hpp>
#include <caf/atom.hpp>

#include "zenws/actors/connection_protocol.hpp"

namespace zenws {

namespace {

/// Serializes this file's read-check-write sequences on CAF's registry (which locks each call,
/// not a sequence), so that a dying actor never erases a name a new actor has just taken. An
/// entry present means a live actor: the functor attached at registration erases it when the
/// actor ends.
std::mutex registry_mutex;

bool valid_atom_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == ' ';
}

caf::expected<caf::atom_value> to_atom(std::string_view name) {
  if (name.empty() || name.size() > 10 || !std::all_of(name.begin(), name.end(), valid_atom_char))
    return make_error(failure{errc::bad_name, "'" + std::string{name} + "'"});
  return caf::atom_from_string(caf::string_view{name.data(), name.size()});
}

} // namespace

caf::error register_name(caf::actor_system& sys, std::string_view name,
                         const caf::strong_actor_ptr& who) {
  auto key = to_atom(name);
  if (!key)
    return key.error();
  if (!who)
    return make_error(
        failure{errc::actor_down, "no actor to register as '" + std::string{name} + "'"});
  {
    std::lock_guard<std::mutex> guard{registry_mutex};
    auto held = sys.registry().get(*key);
    if (held == who)
      return {};
    if (held)
      return make_error(failure{errc::name_taken, "'" + std::string{name} + "'"});
    sys.registry().put(*key, who);
  }
  // Outside the lock: the functor runs at once when `who` has already ended.
  who->get()->attach_functor(
      [&sys, key = *key, addr = caf::actor_cast<caf::actor_addr>(who)](const caf::error&) {
        std::lock_guard<std::mutex> guard{registry_mutex};
        if (caf::actor_cast<caf::actor_addr>(sys.registry().get(key)) == addr)
          sys.registry().erase(key);
      });
  return {};
}

bool unregister_name(caf::actor_system& sys, std::string_view name) {
  auto key = to_atom(name);
  if (!key)
    return false;
  std::lock_guard<std::mutex> guard{registry_mutex};
  if (!sys.registry().get(*key))
    return false;
  sys.registry().erase(*key);
  return true;
}

caf::expected<caf::strong_actor_ptr> lookup_name(caf::actor_system& sys, std::string_view name,
                                                 const caf::actor_system::mpi& interface) {
  auto key = to_atom(name);
  if (!key)
    return key.error();
  auto held = sys.registry().get(*key);
  if (!held)
    return make_error(failure{errc::name_unknown, "'" + std::string{name} + "'"});
  if (!interface.empty() && !sys.assignable(held->get()->message_types(), interface))
    return make_error(failure{errc::name_type_mismatch, "'" + std::string{name} + "'"});
  return held;
}

} // namespace zenws
