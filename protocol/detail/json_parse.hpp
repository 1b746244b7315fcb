#pragma once
// Parsing JSON text within max_json_depth: for the .cpp files of protocol/, adapters/ and
// testing/ that use RapidJSON (never included by a public header).

#include <string_view>

#include <rapidjson/document.h>

#include "zenws/protocol/json_depth.hpp"

namespace zenws::detail {

/// Parses `text` into `doc` with `flags`. False when it is not JSON, or nests deeper than
/// max_json_depth (then `doc` is left unparsed: check json_depth_within to tell the two apart).
template <unsigned flags = rapidjson::kParseDefaultFlags>
bool parse_json(rapidjson::Document& doc, std::string_view text) {
  if (!json_depth_within(text))
    return false;
  doc.Parse<flags>(text.data(), text.size());
  return !doc.HasParseError();
}

} // namespace zenws::detail
