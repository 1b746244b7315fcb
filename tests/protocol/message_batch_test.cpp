// message_batch: messages back to back in one buffer, in order, with their kinds.

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "zenws/protocol/message_batch.hpp"

using zenws::frame_kind;
using zenws::message_batch;

TEST_CASE("a batch keeps its messages in order with their kinds") {
  message_batch batch;
  CHECK(batch.empty());
  batch.add(frame_kind::text, "first");
  batch.add(frame_kind::binary, std::string("\0\1", 2));
  batch.add(frame_kind::text, "");
  REQUIRE(batch.size() == 3);
  CHECK(batch.bytes() == 7);
  CHECK(batch[0].payload == "first");
  CHECK(batch[1].kind == frame_kind::binary);
  CHECK(batch[1].payload == std::string("\0\1", 2));
  CHECK(batch[2].payload.empty());
  std::vector<std::string> seen;
  for (const auto m : batch.messages())
    seen.emplace_back(m.payload);
  CHECK(seen == std::vector<std::string>{"first", std::string("\0\1", 2), ""});
}

TEST_CASE("appending, reserving and clearing keep the views right") {
  message_batch a;
  a.add(frame_kind::text, "x");
  message_batch b;
  b.reserve(1024, 8); // must not change what is stored
  b.add(frame_kind::text, "y");
  b.add(frame_kind::text, "z");
  a.append(b);
  REQUIRE(a.size() == 3);
  CHECK(a[2].payload == "z");
  message_batch expected;
  for (const char* s : {"x", "y", "z"})
    expected.add(frame_kind::text, s);
  CHECK(a == expected);
  expected.add(frame_kind::binary, "w");
  CHECK_FALSE(a == expected);
  a.clear();
  CHECK(a.empty());
  CHECK(a.bytes() == 0);
  a.add(frame_kind::text, "again");
  CHECK(a[0].payload == "again");
}
