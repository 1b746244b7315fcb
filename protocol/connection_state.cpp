#include "zenws/protocol/connection_state.hpp"

namespace zenws {

const char* to_string(connection_state s) noexcept {
  switch (s) {
  case connection_state::idle:
    return "idle";
  case connection_state::connecting:
    return "connecting";
  case connection_state::connected:
    return "connected";
  case connection_state::reconnecting:
    return "reconnecting";
  case connection_state::closing:
    return "closing";
  case connection_state::disconnected:
    return "disconnected";
  case connection_state::closed:
    return "closed";
  }
  return "unknown";
}

} // namespace zenws
