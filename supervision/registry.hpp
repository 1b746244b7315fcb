#pragma once
/// @file
/// Connections and pools by name, in the actor system's registry.
///
/// Names live in CAF's own actor_registry (keyed by atom), so a name registered here is also
/// what CAF's middleman finds with remote_lookup on another node. A name leaves the registry
/// when its actor dies, however it dies; until then the registry holds a strong reference, as
/// CAF's registry does.
///
/// @par Example
/// @code
/// auto pool = zenws::spawn_pool(sys, io, spec, handler);
/// if (auto err = zenws::register_name(sys, "deribit", pool))
///   std::cerr << sys.render(err) << '\n';
/// ...
/// auto found = zenws::lookup<zenws::pool_actor>(sys, "deribit"); // expected<pool_actor>
/// @endcode
///
/// Names are CAF atoms: 1 to 10 characters from A-Z, a-z, 0-9, '_' and space.

#include <string_view>

#include <caf/actor_cast.hpp>
#include <caf/actor_control_block.hpp>
#include <caf/actor_system.hpp>
#include <caf/error.hpp>
#include <caf/expected.hpp>

namespace zenws {

/// Registers `who` under `name`. Errors: bad_name, name_taken (another live actor holds it; a
/// name held by `who` itself is not an error), actor_down (`who` is null).
caf::error register_name(caf::actor_system& sys, std::string_view name,
                         const caf::strong_actor_ptr& who);

/// Any actor handle: caf::actor, a typed handle such as pool_actor or connection_actor.
template <class Handle>
caf::error register_name(caf::actor_system& sys, std::string_view name, const Handle& who) {
  return register_name(sys, name, caf::actor_cast<caf::strong_actor_ptr>(who));
}

/// Removes `name`; false when no actor held it.
bool unregister_name(caf::actor_system& sys, std::string_view name);

/// The live actor under `name`, if its interface includes `interface` (an empty interface, that
/// of caf::actor, accepts any actor). Errors: bad_name, name_unknown, name_type_mismatch.
caf::expected<caf::strong_actor_ptr> lookup_name(caf::actor_system& sys, std::string_view name,
                                                 const caf::actor_system::mpi& interface = {});

/// The actor under `name` as a `Handle`, checked against the handle's interface.
template <class Handle>
caf::expected<Handle> lookup(caf::actor_system& sys, std::string_view name) {
  auto found = lookup_name(sys, name, sys.message_types<Handle>());
  if (!found)
    return found.error();
  return caf::actor_cast<Handle>(std::move(*found));
}

} // namespace zenws
