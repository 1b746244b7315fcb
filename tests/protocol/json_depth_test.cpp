#include "zenws/protocol/json_depth.hpp"

#include <doctest/doctest.h>

#include <string>

using zenws::json_depth_within;

TEST_CASE("json_depth_within counts nested arrays and objects, not brackets in strings") {
  CHECK(json_depth_within(""));
  CHECK(json_depth_within(R"({"a":[1,{"b":[]}]})", 4));
  CHECK_FALSE(json_depth_within(R"({"a":[1,{"b":[]}]})", 3));
  CHECK(json_depth_within(R"(["[[[[", "{{{{"])", 1));
  CHECK(json_depth_within(R"(["\"[[[[", "\\", "{"])", 1)); // escaped quote and backslash
  CHECK_FALSE(json_depth_within(R"(["\\"[[[[]]]]])", 3));  // the string ends at \\"
  CHECK(json_depth_within("[]]]]]][", 1)); // not JSON, but not deep either: parsing decides
  const std::string limit(zenws::max_json_depth, '[');
  CHECK(json_depth_within(limit));
  CHECK_FALSE(json_depth_within(limit + "["));
  CHECK_FALSE(json_depth_within(std::string(1'000'000, '{')));
}
