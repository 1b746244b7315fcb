#include "zenws/protocol/frame_reader.hpp"

#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

using namespace zenws;
using namespace std::string_literals;

namespace {

using events = std::vector<std::string>;

// One event as one line, so a test lists the events it expects.
std::string describe(const read_event& ev) {
  switch (ev.what) {
  case read_event::type::none:
    return "none";
  case read_event::type::message:
    return (ev.kind == frame_kind::text ? "text:" : "binary:") + ev.payload;
  case read_event::type::ping:
    return "ping:" + ev.payload;
  case read_event::type::pong:
    return "pong:" + ev.payload;
  case read_event::type::close:
    return "close:" + std::to_string(ev.close_code) + ":" + ev.close_reason;
  case read_event::type::error:
    return "error:"s + to_string(ev.error.code) + ":" + std::to_string(ev.error.close_code) + ":" +
           ev.error.detail;
  }
  return "?";
}

// Feeds `bytes` in one piece and collects the events, until the bytes are used up or an error.
events feed(frame_reader& reader, std::string_view bytes) {
  events out;
  for (;;) {
    read_event ev;
    bytes.remove_prefix(reader.parse(bytes, ev));
    if (ev.what == read_event::type::none) {
      CHECK(bytes.empty());
      return out;
    }
    if (ev.what == read_event::type::error)
      CHECK(ev.close_code == ev.error.close_code);
    out.push_back(describe(ev));
    if (ev.what == read_event::type::error)
      return out;
  }
}

// The same, one byte per parse() call.
events feed_bytewise(frame_reader& reader, std::string_view bytes) {
  events out;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const auto got = feed(reader, bytes.substr(i, 1));
    out.insert(out.end(), got.begin(), got.end());
    if (reader.failed())
      break;
  }
  return out;
}

events read_all(std::string_view bytes, frame_reader_options options = {}) {
  frame_reader reader{options};
  return feed(reader, bytes);
}

std::string error(const char* code, int close_code, const std::string& detail) {
  return "error:"s + code + ":" + std::to_string(close_code) + ":" + detail;
}

// An unmasked server frame with the shortest length encoding; `first` is FIN|RSV|opcode.
std::string server_frame(std::uint8_t first, const std::string& payload) {
  std::string f(1, static_cast<char>(first));
  const auto n = payload.size();
  if (n < 126) {
    f += static_cast<char>(n);
  } else if (n <= 0xFFFF) {
    f += "\x7E"s + static_cast<char>(n >> 8) + static_cast<char>(n & 0xFF);
  } else {
    f += '\x7F';
    for (int shift = 56; shift >= 0; shift -= 8)
      f += static_cast<char>(static_cast<std::uint64_t>(n) >> shift & 0xFF);
  }
  return f + payload;
}

struct stream_case {
  const char* name;
  std::string bytes;
  events expected;
};

} // namespace

TEST_CASE("server frames become messages and control events") {
  const std::string p126(126, 'a');
  const std::string p65535(65535, 'b');
  const std::string p65536(65536, 'c');
  const std::string p125(125, 'd');
  const std::vector<stream_case> cases = {
      {"a text frame", "\x81\x05hello", {"text:hello"}},
      {"a binary frame", "\x82\x03\x00\x01\xFF"s, {"binary:\x00\x01\xFF"s}},
      {"an empty text message", "\x81\x00"s, {"text:"}},
      {"an empty binary message", "\x82\x00"s, {"binary:"}},
      {"two fragments", "\x01\x03hel\x80\x02lo", {"text:hello"}},
      {"an empty middle fragment", "\x01\x02he\x00\x00\x80\x03llo"s, {"text:hello"}},
      {"only empty fragments", "\x02\x00\x00\x00\x80\x00"s, {"binary:"}},
      {"a ping between fragments comes first",
       "\x01\x03hel\x89\x02hi\x80\x02lo",
       {"ping:hi", "text:hello"}},
      {"a close between fragments comes first",
       "\x01\x03hel\x88\x02\x03\xE8\x80\x02lo",
       {"close:1000:", "text:hello"}},
      {"an empty ping", "\x89\x00"s, {"ping:"}},
      {"a pong", "\x8A\x04pong", {"pong:pong"}},
      {"a 125-byte ping", "\x89\x7D" + p125, {"ping:" + p125}},
      {"a close without payload", "\x88\x00"s, {"close:1005:"}},
      {"a close with code only", "\x88\x02\x03\xE9", {"close:1001:"}},
      {"a close with code and reason",
       "\x88\x05\x03\xE8"
       "bye",
       {"close:1000:bye"}},
      {"a close with a UTF-8 reason", "\x88\x04\x0F\xA0\xC3\xA9", {"close:4000:\xC3\xA9"}},
      {"a 16-bit length of 126", "\x82\x7E\x00\x7E"s + p126, {"binary:" + p126}},
      {"a 16-bit length of 65535", "\x82\x7E\xFF\xFF" + p65535, {"binary:" + p65535}},
      {"a 64-bit length of 65536",
       "\x82\x7F\x00\x00\x00\x00\x00\x01\x00\x00"s + p65536,
       {"binary:" + p65536}},
      {"a 2-byte code point split over fragments", "\x01\x02h\xC3\x80\x01\xA9", {"text:h\xC3\xA9"}},
      {"a 4-byte code point in three fragments",
       "\x01\x01\xF0\x00\x02\x9F\x98\x80\x01\x80"s,
       {"text:\xF0\x9F\x98\x80"}},
      {"two messages back to back",
       "\x81\x01"
       "a\x82\x01"
       "b",
       {"text:a", "binary:b"}},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      CHECK(read_all(c.bytes) == c.expected);
    }
  }
}

TEST_CASE("each protocol violation fails with its error and close code") {
  const std::vector<stream_case> cases = {
      {"a masked frame",
       "\x81\x85\x01\x02\x03\x04hello",
       {error("protocol_violation", 1002, "server frame is masked")}},
      {"RSV1 without permessage-deflate",
       "\xC1\x05hello",
       {error("protocol_violation", 1002, "RSV1 set but permessage-deflate was not negotiated")}},
      {"RSV2", "\xA1\x05hello", {error("protocol_violation", 1002, "reserved bit RSV2 set")}},
      {"RSV3", "\x91\x05hello", {error("protocol_violation", 1002, "reserved bit RSV3 set")}},
      {"a ping without FIN",
       "\x09\x00"s,
       {error("protocol_violation", 1002, "control frame 0x9 without FIN")}},
      {"a close without FIN",
       "\x08\x00"s,
       {error("protocol_violation", 1002, "control frame 0x8 without FIN")}},
      {"RSV1 on a control frame",
       "\xCA\x00"s,
       {error("protocol_violation", 1002, "RSV1 set on control frame 0xA")}},
      {"a 126-byte ping",
       "\x89\x7E\x00\x7E"s + std::string(126, 'x'),
       {error("protocol_violation", 1002, "control frame payload of 126 bytes exceeds 125")}},
      {"a continuation without a message",
       "\x80\x02hi",
       {error("protocol_violation", 1002, "continuation frame without a message in progress")}},
      {"a continuation after a complete message",
       "\x81\x01"
       "a\x80\x01"
       "b",
       {"text:a",
        error("protocol_violation", 1002, "continuation frame without a message in progress")}},
      {"a text frame inside a fragmented message",
       "\x01\x02he\x81\x02hi",
       {error("protocol_violation", 1002, "text frame while a fragmented message is in progress")}},
      {"a binary frame inside a fragmented message",
       "\x02\x02he\x82\x02hi",
       {error("protocol_violation", 1002,
              "binary frame while a fragmented message is in progress")}},
      {"a 64-bit length with the top bit set",
       "\x82\x7F\x80\x00\x00\x00\x00\x00\x00\x01"s,
       {error("protocol_violation", 1002,
              "64-bit payload length has its most significant bit set")}},
      {"a close with a 1-byte payload",
       "\x88\x01\x03",
       {error("protocol_violation", 1002, "close frame with a 1-byte payload")}},
      {"a close with code 1005",
       "\x88\x02\x03\xED",
       {error("protocol_violation", 1002, "close code 1005 is not valid on the wire")}},
      {"a close reason that is not UTF-8",
       "\x88\x03\x03\xE8\xFF",
       {error("invalid_utf8", 1007, "close reason is not valid UTF-8")}},
      {"a text message that is not UTF-8",
       "\x81\x01\xFF",
       {error("invalid_utf8", 1007, "text message is not valid UTF-8")}},
      {"a text message ending inside a code point",
       "\x81\x02h\xC3",
       {error("invalid_utf8", 1007, "text message is not valid UTF-8")}},
      {"a fragmented text ending inside a code point",
       "\x01\x01h\x80\x01\xE2",
       {error("invalid_utf8", 1007, "text message is not valid UTF-8")}},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      CHECK(read_all(c.bytes) == c.expected);
    }
  }
}

TEST_CASE("every reserved opcode is a protocol violation") {
  for (const char* hex : {"3", "4", "5", "6", "7", "B", "C", "D", "E", "F"}) {
    SUBCASE(hex) {
      const auto op = static_cast<char>(std::stoi(hex, nullptr, 16));
      CHECK(read_all(std::string{static_cast<char>(0x80 | op), '\x00'}) ==
            events{error("protocol_violation", 1002, "reserved opcode 0x"s + hex)});
    }
  }
}

TEST_CASE("binary messages are not checked for UTF-8") {
  CHECK(read_all("\x82\x02\xFF\xC3"s) == events{"binary:\xFF\xC3"});
}

TEST_CASE("close codes are accepted exactly in 1000-1003, 1007-1014 and 3000-4999") {
  const std::vector<std::pair<std::uint16_t, bool>> codes = {
      {0, false},    {999, false}, {1000, true},  {1003, true},   {1004, false}, {1005, false},
      {1006, false}, {1007, true}, {1014, true},  {1015, false},  {1016, false}, {2999, false},
      {3000, true},  {4999, true}, {5000, false}, {65535, false},
  };
  for (const auto& [code, valid] : codes) {
    SUBCASE(std::to_string(code).c_str()) {
      const auto frame = "\x88\x02"s + static_cast<char>(code >> 8) + static_cast<char>(code);
      const auto expected =
          valid ? "close:" + std::to_string(code) + ":"
                : error("protocol_violation", 1002,
                        "close code " + std::to_string(code) + " is not valid on the wire");
      CHECK(read_all(frame) == events{expected});
    }
  }
}

TEST_CASE("a message beyond max_message_size fails with 1009 before its payload arrives") {
  frame_reader_options options;
  options.max_message_size = 16384;

  SUBCASE("one frame") {
    // 20000 declared, no payload given: the header alone decides.
    CHECK(read_all("\x82\x7E\x4E\x20"s, options) ==
          events{error("message_too_big", 1009,
                       "message of at least 20000 bytes exceeds max_message_size 16384")});
  }
  SUBCASE("the fragment that crosses the limit") {
    const auto bytes = server_frame(0x02, std::string(10000, 'a')) + "\x80\x7E\x27\x10"s;
    CHECK(read_all(bytes, options) ==
          events{error("message_too_big", 1009,
                       "message of at least 20000 bytes exceeds max_message_size 16384")});
  }
  SUBCASE("exactly the limit is accepted") {
    const std::string payload(16384, 'a');
    CHECK(read_all(server_frame(0x82, payload), options) == events{"binary:" + payload});
  }
  SUBCASE("one byte over the limit in two fragments") {
    const auto bytes =
        server_frame(0x02, std::string(16384, 'a')) + server_frame(0x80, std::string(1, 'b'));
    CHECK(read_all(bytes, options) ==
          events{error("message_too_big", 1009,
                       "message of at least 16385 bytes exceeds max_message_size 16384")});
  }
  SUBCASE("a 2^62-byte header") {
    frame_reader reader{options};
    read_event ev;
    const auto header = "\x82\x7F\x40\x00\x00\x00\x00\x00\x00\x00"s;
    CHECK(reader.parse(header, ev) == header.size());
    CHECK(ev.what == read_event::type::error);
    CHECK(ev.error.code == errc::message_too_big);
    CHECK(ev.close_code == 1009);
    CHECK(reader.pending_message_bytes() == 0);
  }
}

TEST_CASE("control frames do not count toward max_message_size") {
  frame_reader_options options;
  options.max_message_size = 5;
  CHECK(read_all("\x01\x02he\x89\x05hello\x80\x03llo", options) ==
        events{"ping:hello", "text:hello"});
}

TEST_CASE("after an error the reader consumes nothing and repeats the error") {
  frame_reader reader{{}};
  read_event ev;
  CHECK(reader.parse("\x81\x85\x01\x02\x03\x04hello", ev) > 0);
  REQUIRE(ev.what == read_event::type::error);
  CHECK(reader.failed());
  for (const auto& more : {"\x81\x05hello"s, ""s, "\x88\x00"s}) {
    read_event again;
    CHECK(reader.parse(more, again) == 0);
    CHECK(describe(again) == error("protocol_violation", 1002, "server frame is masked"));
    CHECK(again.close_code == 1002);
  }
}

TEST_CASE("a reader that has not failed says so") {
  frame_reader reader{{}};
  CHECK(feed(reader, "\x81\x05hello") == events{"text:hello"});
  CHECK_FALSE(reader.failed());
}

TEST_CASE("invalid UTF-8 fails on the fragment that breaks the text") {
  SUBCASE("in the first of three fragments, before the others arrive") {
    frame_reader reader{{}};
    CHECK(feed(reader, "\x01\x02h\xFF") ==
          events{error("invalid_utf8", 1007, "text message is not valid UTF-8")});
  }
  SUBCASE("in the second fragment") {
    frame_reader reader{{}};
    CHECK(feed(reader, "\x01\x02he").empty());
    CHECK(feed(reader, "\x00\x02l\xC0"s) ==
          events{error("invalid_utf8", 1007, "text message is not valid UTF-8")});
  }
  SUBCASE("inside a frame whose end has not arrived") {
    frame_reader reader{{}};
    CHECK(feed(reader, "\x81\x0A"
                       "abc\xED\xA0") ==
          events{error("invalid_utf8", 1007, "text message is not valid UTF-8")});
  }
}

TEST_CASE("pending_message_bytes counts the message being assembled") {
  frame_reader reader{{}};
  CHECK(feed(reader, "\x01\x03hel").empty());
  CHECK(reader.pending_message_bytes() == 3);
  CHECK(feed(reader, "\x80\x05lo").empty());
  CHECK(reader.pending_message_bytes() == 5);
  CHECK(feed(reader, "wo!") == events{"text:hellowo!"});
  CHECK(reader.pending_message_bytes() == 0);
}

TEST_CASE("frame_bytes_left counts the payload of the frame being read still to come") {
  frame_reader reader{{}};
  CHECK(reader.frame_bytes_left() == 0);
  CHECK(feed(reader, "\x81").empty()); // half a header: the length is not known yet
  CHECK(reader.frame_bytes_left() == 0);
  CHECK(feed(reader, std::string("\x7e\x01\x00", 3)).empty()); // 256 bytes of payload
  CHECK(reader.frame_bytes_left() == 256);
  CHECK(feed(reader, std::string(100, 'a')).empty());
  CHECK(reader.frame_bytes_left() == 156);
  CHECK(feed(reader, std::string(156, 'a')).size() == 1);
  CHECK(reader.frame_bytes_left() == 0);
  // A fragment's end is a frame's end, even inside a message.
  CHECK(feed(reader, "\x01\x03he").empty());
  CHECK(reader.frame_bytes_left() == 1);
  CHECK(feed(reader, "l").empty());
  CHECK(reader.frame_bytes_left() == 0);
}

TEST_CASE("parse stops after each event and leaves the rest unconsumed") {
  frame_reader reader{{}};
  const std::string bytes = "\x89\x01p\x81\x01t";
  read_event ev;
  CHECK(reader.parse(bytes, ev) == 3);
  CHECK(describe(ev) == "ping:p");
  CHECK(reader.parse(std::string_view(bytes).substr(3), ev) == 3);
  CHECK(describe(ev) == "text:t");
  CHECK(reader.parse("", ev) == 0);
  CHECK(ev.what == read_event::type::none);
}

TEST_CASE("byte-at-a-time and split reads yield the same events as one read") {
  const auto stream = "\x01\x03hel"s + "\x89\x02hi" + "\x00\x00"s + "\x80\x04lo\xC3\xA9" +
                      server_frame(0x82, std::string(300, 'z')) + "\x8A\x00"s +
                      server_frame(0x82, std::string(70000, 'y')) + "\x81\x00"s +
                      "\x88\x05\x03\xE8"
                      "bye";
  const events expected = {"ping:hi",
                           "text:hello\xC3\xA9",
                           "binary:" + std::string(300, 'z'),
                           "pong:",
                           "binary:" + std::string(70000, 'y'),
                           "text:",
                           "close:1000:bye"};
  CHECK(read_all(stream) == expected);

  SUBCASE("one byte at a time") {
    frame_reader reader{{}};
    CHECK(feed_bytewise(reader, stream) == expected);
  }
  SUBCASE("every split into two reads of the first 400 bytes") {
    for (std::size_t split = 0; split <= 400; ++split) {
      frame_reader reader{{}};
      auto got = feed(reader, std::string_view(stream).substr(0, split));
      const auto rest = feed(reader, std::string_view(stream).substr(split));
      got.insert(got.end(), rest.begin(), rest.end());
      CHECK_MESSAGE(got == expected, "split at " << split);
    }
  }
}

TEST_CASE("byte-at-a-time feeding reports a violation like one read does") {
  const auto stream = "\x81\x02ok\x01\x01h\x89\x00\x81\x01x"s;
  const events expected = {
      "text:ok", "ping:",
      error("protocol_violation", 1002, "text frame while a fragmented message is in progress")};
  CHECK(read_all(stream) == expected);
  frame_reader reader{{}};
  CHECK(feed_bytewise(reader, stream) == expected);
}

// -- compressed messages -------------------------------------------------------------------------

namespace {

// An inflater whose "decompression" is the identity, recording each call. It honours `limit`
// and reports data starting with '!' as corrupt.
class recording_inflater final : public inflater {
public:
  std::vector<std::pair<std::string, bool>> calls;

  bool inflate(std::string_view in, bool final, std::string& out, std::size_t limit, bool& too_big,
               std::string& error) override {
    calls.emplace_back(in, final);
    if (!in.empty() && in.front() == '!') {
      error = "invalid block type";
      return false;
    }
    too_big = out.size() + in.size() > limit;
    if (too_big)
      return false;
    out.append(in);
    return true;
  }
};

} // namespace

TEST_CASE("compressed messages go through the inflater, final on the last bytes") {
  recording_inflater inflater;
  frame_reader_options options;
  options.decompressor = &inflater;
  using calls = std::vector<std::pair<std::string, bool>>;

  SUBCASE("one frame") {
    CHECK(read_all("\xC1\x05hello", options) == events{"text:hello"});
    CHECK(inflater.calls == calls{{"hello", true}});
  }
  SUBCASE("two fragments, RSV1 on the first only") {
    CHECK(read_all("\x41\x03hel\x80\x02lo", options) == events{"text:hello"});
    CHECK(inflater.calls == calls{{"hel", false}, {"lo", true}});
  }
  SUBCASE("an empty last fragment still ends the message") {
    CHECK(read_all("\x42\x03hel\x80\x00"s, options) == events{"binary:hel"});
    CHECK(inflater.calls == calls{{"hel", false}, {"", true}});
  }
  SUBCASE("a frame arriving in pieces is inflated as it arrives") {
    frame_reader reader{options};
    CHECK(feed(reader, "\xC1\x05he").empty());
    CHECK(feed(reader, "llo") == events{"text:hello"});
    CHECK(inflater.calls == calls{{"he", false}, {"llo", true}});
  }
  SUBCASE("an uncompressed message bypasses the inflater") {
    CHECK(read_all("\x81\x05hello", options) == events{"text:hello"});
    CHECK(inflater.calls.empty());
  }
}

TEST_CASE("compressed messages fail on each violation") {
  recording_inflater inflater;
  frame_reader_options options;
  options.decompressor = &inflater;
  options.max_message_size = 8;
  const std::vector<stream_case> cases = {
      {"RSV1 on a continuation",
       "\x41\x03hel\xC0\x02lo",
       {error("protocol_violation", 1002, "RSV1 set on a continuation frame")}},
      {"RSV1 on a control frame",
       "\xC9\x00"s,
       {error("protocol_violation", 1002, "RSV1 set on control frame 0x9")}},
      {"inflated beyond the limit",
       "\x41\x05hello\x80\x05world",
       {error("message_too_big", 1009, "inflated message exceeds max_message_size 8")}},
      {"a compressed frame longer than the limit",
       "\xC2\x09"
       "123456789",
       {error("message_too_big", 1009, "compressed frame of 9 bytes exceeds max_message_size 8")}},
      {"corrupt data",
       "\xC2\x02!x",
       {error("protocol_violation", 1002, "compressed message is corrupt: invalid block type")}},
      {"inflated text that is not UTF-8",
       "\xC1\x02h\xFF",
       {error("invalid_utf8", 1007, "text message is not valid UTF-8")}},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      CHECK(read_all(c.bytes, options) == c.expected);
    }
  }
}
