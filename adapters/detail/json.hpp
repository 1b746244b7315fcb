#pragma once
// RapidJSON helpers shared by the adapters' .cpp files (never included by a public header).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace zenws::adapters_detail {

inline std::string_view view(const rapidjson::Value& v) {
  return {v.GetString(), v.GetStringLength()};
}

inline std::string to_json(const rapidjson::Value& v) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer{buffer};
  v.Accept(writer);
  return {buffer.GetString(), buffer.GetSize()};
}

/// The member `name` of `object`, or null when `object` is not an object or has no such member.
inline const rapidjson::Value* member(const rapidjson::Value& object, const char* name) {
  if (!object.IsObject())
    return nullptr;
  const auto it = object.FindMember(name);
  return it == object.MemberEnd() ? nullptr : &it->value;
}

/// The string member `name`, or "" when absent or not a string.
inline std::string_view string_member(const rapidjson::Value& object, const char* name) {
  const auto* v = member(object, name);
  return v && v->IsString() ? view(*v) : std::string_view{};
}

/// An id sent as a string of digits ("17"), as OKX and Bybit echo ours; nullopt otherwise.
inline std::optional<std::int64_t> digits_id(const rapidjson::Value* v) {
  if (!v)
    return std::nullopt;
  if (v->IsInt64())
    return v->GetInt64();
  if (!v->IsString() || v->GetStringLength() == 0 || v->GetStringLength() > 18)
    return std::nullopt;
  std::int64_t out = 0;
  for (const char c : view(*v)) {
    if (c < '0' || c > '9')
      return std::nullopt;
    out = out * 10 + (c - '0');
  }
  return out;
}

/// A code sent as a string ("60009") or a number; 0 when neither.
inline std::int64_t code_of(const rapidjson::Value* v) {
  if (!v)
    return 0;
  if (v->IsInt64())
    return v->GetInt64();
  if (v->IsString()) {
    const auto digits = digits_id(v);
    return digits.value_or(0);
  }
  return 0;
}

/// `params` as a JSON array text: "" -> "[]", an object -> "[object]", an array as it is.
inline std::string as_array(std::string_view params) {
  if (params.empty())
    return "[]";
  if (params.front() == '[')
    return std::string{params};
  return "[" + std::string{params} + "]";
}

} // namespace zenws::adapters_detail
