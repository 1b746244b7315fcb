#include "zenws/adapters/deribit_methods.hpp"

#include <string>

#include "zenws/adapters/detail/json.hpp"
#include "zenws/protocol/detail/json_parse.hpp"

namespace zenws::deribit {

const std::vector<method>& all_methods() {
#define ZENWS_DERIBIT_ENTRY(id, name, is_private, required) methods::id,
  static const std::vector<method> table{ZENWS_DERIBIT_METHODS(ZENWS_DERIBIT_ENTRY)};
#undef ZENWS_DERIBIT_ENTRY
  return table;
}

const method* find_method(std::string_view name) {
  for (const auto& m : all_methods())
    if (m.name == name)
      return &m;
  return nullptr;
}

failure check_params(const method& m, std::string_view params) {
  if (m.required.empty())
    return {};
  rapidjson::Document doc;
  const bool object = !params.empty() && zenws::detail::parse_json(doc, params) && doc.IsObject();
  auto rest = m.required;
  while (!rest.empty()) {
    const auto item = rest.substr(0, rest.find(','));
    rest = item.size() < rest.size() ? rest.substr(item.size() + 1) : std::string_view{};
    bool present = false;
    for (auto options = item; !options.empty() && !present;) {
      const auto name = options.substr(0, options.find('|'));
      options = name.size() < options.size() ? options.substr(name.size() + 1) : std::string_view{};
      present = object && doc.HasMember(std::string{name}.c_str());
    }
    if (!present) {
      std::string what{item};
      for (auto& c : what)
        if (c == '|')
          c = '/';
      return {errc::bad_params,
              std::string{m.name} + " needs params." + what + " (Deribit would refuse it)", 0, 0};
    }
  }
  return {};
}

} // namespace zenws::deribit
