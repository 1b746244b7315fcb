#include "node_recipes.hpp"

#include <cstdlib>
#include <utility>

#include "zenws/adapters/binance.hpp"
#include "zenws/adapters/bybit.hpp"
#include "zenws/adapters/deribit.hpp"
#include "zenws/adapters/json_rpc.hpp"
#include "zenws/adapters/okx.hpp"

namespace zenws::cli {

namespace {

/// A recipe from an adapter factory: the venue's options, and its heartbeat unless the pool's
/// config names one.
template <class MakeAdapter>
connection_recipe from_adapter(MakeAdapter make) {
  return [make = std::move(make)](connection_config& config) {
    auto venue = make();
    if (config.heartbeat.policy == heartbeat_policy::none)
      config.heartbeat = venue.heartbeat;
    return venue.options;
  };
}

deribit::settings deribit_login_from_environment() {
  deribit::settings s;
  const char* id = std::getenv("ZENWS_DERIBIT_CLIENT_ID");
  const char* secret = std::getenv("ZENWS_DERIBIT_CLIENT_SECRET");
  if (id != nullptr && secret != nullptr && *id != '\0' && *secret != '\0')
    s.login = {id, secret};
  return s;
}

} // namespace

std::map<std::string, connection_recipe> node_recipes() {
  std::map<std::string, connection_recipe> recipes;
  recipes["deribit"] =
      from_adapter([login = deribit_login_from_environment()] { return deribit::adapter(login); });
  recipes["binance_streams"] = from_adapter([] { return binance::streams(); });
  recipes["okx"] = from_adapter([] { return okx::adapter(); });
  recipes["bybit"] = from_adapter([] { return bybit::adapter(); });
  recipes["ethereum"] = from_adapter([] { return generic_json_rpc::ethereum(); });
  return recipes;
}

} // namespace zenws::cli
