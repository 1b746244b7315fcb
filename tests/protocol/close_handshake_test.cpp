#include "zenws/protocol/close_handshake.hpp"

#include <doctest/doctest.h>

using namespace zenws;
using state = close_handshake::state;
using action = close_handshake::action;

namespace {

close_handshake in_state(state s) {
  close_handshake h;
  switch (s) {
  case state::open:
    break;
  case state::closing_by_us:
    h.start_local(1000, "done");
    break;
  case state::closing_by_peer:
    h.on_peer_close(1001, "restart");
    break;
  case state::closed:
    h.start_local(1000, "done");
    h.on_peer_close(1000, "");
    break;
  }
  REQUIRE(h.current() == s);
  return h;
}

const char* name_of(state s) {
  switch (s) {
  case state::open:
    return "open";
  case state::closing_by_us:
    return "closing_by_us";
  case state::closing_by_peer:
    return "closing_by_peer";
  case state::closed:
    return "closed";
  }
  return "?";
}

} // namespace

TEST_CASE("a local close sends our frame and completes on the peer's") {
  close_handshake h;
  CHECK(h.start_local(1000, "bye") == action::send_close);
  CHECK(h.current() == state::closing_by_us);
  CHECK(h.closed_by_us());
  CHECK(h.sent_code() == 1000);
  CHECK(h.sent_reason() == "bye");
  CHECK_FALSE(h.handshake_complete());

  CHECK(h.on_peer_close(1000, "ok") == action::close_socket);
  CHECK(h.current() == state::closed);
  CHECK(h.handshake_complete());
  CHECK(h.received_code() == 1000);
  CHECK(h.received_reason() == "ok");
  CHECK(h.sent_code() == 1000);
}

TEST_CASE("a peer close is answered with its code and completes when the reply is written") {
  close_handshake h;
  CHECK(h.on_peer_close(1001, "going away") == action::send_close_reply);
  CHECK(h.current() == state::closing_by_peer);
  CHECK_FALSE(h.closed_by_us());
  CHECK(h.received_code() == 1001);
  CHECK(h.received_reason() == "going away");
  CHECK(h.sent_code() == 1001);
  CHECK_FALSE(h.handshake_complete());

  h.on_reply_written();
  CHECK(h.current() == state::closed);
  CHECK(h.handshake_complete());
}

TEST_CASE("a peer close without a code is answered without a code") {
  close_handshake h;
  CHECK(h.on_peer_close(1005, "") == action::send_close_reply);
  CHECK(h.received_code() == 1005);
  CHECK(h.sent_code() == 0);
}

TEST_CASE("fail closes every unfinished state without completing the handshake") {
  for (auto s : {state::open, state::closing_by_us, state::closing_by_peer}) {
    SUBCASE(name_of(s)) {
      auto h = in_state(s);
      h.fail();
      CHECK(h.current() == state::closed);
      CHECK_FALSE(h.handshake_complete());
    }
  }
}

TEST_CASE("fail after a complete handshake keeps it complete") {
  auto h = in_state(state::closed);
  h.fail();
  CHECK(h.current() == state::closed);
  CHECK(h.handshake_complete());
}

TEST_CASE("late events cannot revive a closed handshake") {
  SUBCASE("completed") {
    auto h = in_state(state::closed);
    CHECK(h.start_local(4000, "again") == action::none);
    CHECK(h.on_peer_close(4001, "again") == action::none);
    h.on_reply_written();
    CHECK(h.current() == state::closed);
    CHECK(h.sent_code() == 1000);
    CHECK(h.received_code() == 1000);
  }
  SUBCASE("failed") {
    close_handshake h;
    h.fail();
    CHECK(h.start_local(1000, "") == action::none);
    CHECK(h.on_peer_close(1000, "") == action::none);
    h.on_reply_written();
    CHECK(h.current() == state::closed);
    CHECK_FALSE(h.handshake_complete());
    CHECK(h.sent_code() == 0);
    CHECK(h.received_code() == 0);
  }
}

TEST_CASE("a second close request changes nothing") {
  auto h = in_state(state::closing_by_us);
  CHECK(h.start_local(4000, "other") == action::none);
  CHECK(h.sent_code() == 1000);
  CHECK(h.sent_reason() == "done");
  CHECK(h.current() == state::closing_by_us);
}

TEST_CASE("a close request after the peer's close sends nothing more") {
  auto h = in_state(state::closing_by_peer);
  CHECK(h.start_local(1000, "") == action::none);
  CHECK(h.on_peer_close(1000, "twice") == action::none);
  CHECK(h.current() == state::closing_by_peer);
  CHECK(h.received_reason() == "restart");
  CHECK_FALSE(h.closed_by_us());
}

TEST_CASE("a written reply only matters after the peer's close") {
  for (auto s : {state::open, state::closing_by_us}) {
    SUBCASE(name_of(s)) {
      auto h = in_state(s);
      h.on_reply_written();
      CHECK(h.current() == s);
      CHECK_FALSE(h.handshake_complete());
    }
  }
}

TEST_CASE("data is delivered while open and closing_by_us, and sent only while open") {
  struct row {
    const char* name;
    state s;
    bool accepts_data;
    bool accepts_sends;
  };
  const row rows[] = {
      {"open", state::open, true, true},
      {"closing_by_us", state::closing_by_us, true, false},
      {"closing_by_peer", state::closing_by_peer, false, false},
      {"closed", state::closed, false, false},
  };
  for (const auto& r : rows) {
    SUBCASE(r.name) {
      const auto h = in_state(r.s);
      CHECK(h.accepts_data() == r.accepts_data);
      CHECK(h.accepts_sends() == r.accepts_sends);
    }
  }
}
