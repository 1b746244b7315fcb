// fifo: a queue with deque's operations that allocates nothing while empty.

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "zenws/protocol/fifo.hpp"

using zenws::fifo;

TEST_CASE("fifo keeps order across pushes, pops, inserts and erases") {
  fifo<std::string> q;
  CHECK(q.empty());
  for (int i = 0; i < 100; ++i)
    q.push_back(std::to_string(i));
  for (int i = 0; i < 70; ++i) { // past the compaction point
    REQUIRE(q.front() == std::to_string(i));
    q.pop_front();
  }
  CHECK(q.size() == 30);
  CHECK(q.front() == "70");
  q.insert(q.begin(), "urgent");
  CHECK(q.front() == "urgent");
  q.erase(std::remove_if(q.begin(), q.end(), [](const std::string& s) { return s == "80"; }),
          q.end());
  std::vector<std::string> rest(q.begin(), q.end());
  CHECK(rest.size() == 30);
  CHECK(rest[1] == "70");
  CHECK(std::find(rest.begin(), rest.end(), "80") == rest.end());
  CHECK(rest.back() == "99");
  while (!q.empty())
    q.pop_front();
  CHECK(q.size() == 0);
  q.emplace_back(3, 'x');
  CHECK(q.front() == "xxx");
  q.clear();
  CHECK(q.empty());
}
