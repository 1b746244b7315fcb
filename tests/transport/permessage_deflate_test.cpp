#include "zenws/actors/detail/permessage_deflate.hpp"

#include <doctest/doctest.h>

#include <limits>
#include <random>
#include <string>
#include <vector>

using namespace zenws;
using namespace zenws::detail;
using namespace std::string_literals;

namespace {

// RFC 7692 section 7.2.3.1: "Hello" as one compressed message.
constexpr std::string_view hello_compressed("\xF2\x48\xCD\xC9\xC9\x07\x00", 7);

// RFC 7692 section 7.2.3.2: the second "Hello", referring back to the first.
constexpr std::string_view hello_again_compressed("\xF2\x00\x11\x00\x00", 5);

constexpr std::size_t no_limit = std::numeric_limits<std::size_t>::max();

struct inflated {
  bool ok = false;
  bool too_big = false;
  std::string error;
  std::string out;
};

// Inflates one message given as its frames' payloads.
inflated inflate_message(permessage_inflater& inflater, const std::vector<std::string_view>& frames,
                         std::size_t limit = no_limit) {
  inflated r;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    r.ok = inflater.inflate(frames[i], i + 1 == frames.size(), r.out, limit, r.too_big, r.error);
    if (!r.ok)
      break;
  }
  return r;
}

std::string deflate_message(permessage_deflater& deflater, std::string_view message) {
  std::string out;
  deflater.deflate(message, out);
  return out;
}

// Random bytes drawn from `alphabet_size` values: 256 is incompressible, small ones compress.
std::string random_bytes(std::size_t n, unsigned seed, int alphabet_size = 256) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int> pick(0, alphabet_size - 1);
  std::string s(n, '\0');
  for (auto& c : s)
    c = static_cast<char>(pick(gen));
  return s;
}

// Something like a market-data stream: repetitive JSON with changing numbers.
std::string json_like(std::size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::string s;
  while (s.size() < n)
    s += R"({"channel":"book.BTC-PERPETUAL","price":)" + std::to_string(gen() % 100000) +
         R"(,"amount":)" + std::to_string(gen() % 1000) + "}\n";
  s.resize(n);
  return s;
}

} // namespace

TEST_CASE("RFC 7692 7.2.3.1: Hello deflates to f2 48 cd c9 c9 07 00 and back") {
  permessage_deflater deflater{{}};
  CHECK(deflate_message(deflater, "Hello") == hello_compressed);
  permessage_inflater inflater{{}};
  const auto r = inflate_message(inflater, {hello_compressed});
  CHECK(r.ok);
  CHECK(r.out == "Hello");
}

TEST_CASE("RFC 7692 7.2.3.1: Hello inflates from two fragments") {
  permessage_inflater inflater{{}};
  const auto r = inflate_message(inflater, {"\xF2\x48\xCD"s, "\xC9\xC9\x07\x00"s});
  CHECK(r.ok);
  CHECK(r.out == "Hello");
}

TEST_CASE("RFC 7692 7.2.3.2: with context takeover the second Hello is f2 00 11 00 00") {
  permessage_deflater deflater{{}};
  CHECK(deflate_message(deflater, "Hello") == hello_compressed);
  CHECK(deflate_message(deflater, "Hello") == hello_again_compressed);

  permessage_inflater inflater{{}};
  CHECK(inflate_message(inflater, {hello_compressed}).out == "Hello");
  const auto second = inflate_message(inflater, {hello_again_compressed});
  CHECK(second.ok);
  CHECK(second.out == "Hello");
}

TEST_CASE("client_no_context_takeover deflates every message on its own") {
  deflate_parameters params;
  params.client_no_context_takeover = true;
  permessage_deflater deflater{params};
  CHECK(deflate_message(deflater, "Hello") == hello_compressed);
  CHECK(deflate_message(deflater, "Hello") == hello_compressed);
}

TEST_CASE("server_no_context_takeover resets the inflater after each message") {
  deflate_parameters params;
  params.server_no_context_takeover = true;
  permessage_inflater inflater{params};
  CHECK(inflate_message(inflater, {hello_compressed}).out == "Hello");
  SUBCASE("a message standing alone inflates") {
    CHECK(inflate_message(inflater, {hello_compressed}).out == "Hello");
  }
  SUBCASE("a message referring to the previous one does not") {
    const auto r = inflate_message(inflater, {hello_again_compressed});
    CHECK_FALSE(r.ok);
    CHECK_FALSE(r.too_big);
    CHECK_FALSE(r.error.empty());
  }
}

TEST_CASE("RFC 7692 7.2.3.3-7.2.3.6: other encodings of Hello inflate") {
  const std::vector<std::pair<const char*, std::string>> rows = {
      {"7.2.3.3 a stored block", "\x00\x05\x00\xFA\xFFHello\x00"s},
      {"7.2.3.4 a block with BFINAL set", "\xF3\x48\xCD\xC9\xC9\x07\x00\x00"s},
      {"7.2.3.5 two blocks", "\xF2\x48\x05\x00\x00\x00\xFF\xFF\xCA\xC9\xC9\x07\x00"s},
  };
  for (const auto& [name, payload] : rows) {
    SUBCASE(name) {
      permessage_inflater inflater{{}};
      const auto r = inflate_message(inflater, {payload});
      CHECK(r.ok);
      CHECK(r.out == "Hello");
      // The stream stays usable for the next message.
      CHECK(inflate_message(inflater, {hello_compressed}).out == "Hello");
    }
  }
}

TEST_CASE("RFC 7692 7.2.3.6: an empty message deflates to 00 and back") {
  permessage_deflater deflater{{}};
  CHECK(deflate_message(deflater, "") == "\x00"s);
  permessage_inflater inflater{{}};
  const auto r = inflate_message(inflater, {"\x00"s});
  CHECK(r.ok);
  CHECK(r.out.empty());
}

TEST_CASE("an empty message between others deflates to 00, and the context carries on") {
  // Found against node's ws and Python's websockets: after a first message, zlib's sync flush
  // of no input wrote nothing, and the deflater threw (the io thread terminated the process).
  for (const bool takeover : {true, false}) {
    CAPTURE(takeover);
    deflate_parameters params;
    params.client_no_context_takeover = !takeover;
    params.server_no_context_takeover = !takeover;
    permessage_deflater deflater{params};
    permessage_inflater inflater{params};
    for (const std::string message : {"Hello", "", "", "Hello", "", "Hello, Hello"}) {
      CAPTURE(message);
      const auto compressed = deflate_message(deflater, message);
      if (message.empty())
        CHECK(compressed == "\x00"s);
      const auto r = inflate_message(inflater, {compressed});
      CHECK(r.ok);
      CHECK(r.out == message);
    }
  }
}

TEST_CASE("an empty last fragment ends a compressed message") {
  permessage_inflater inflater{{}};
  const auto r = inflate_message(inflater, {hello_compressed, ""});
  CHECK(r.ok);
  CHECK(r.out == "Hello");
}

TEST_CASE("messages round-trip through deflater and inflater") {
  struct row {
    const char* name;
    std::string data;
  };
  const std::vector<row> rows = {
      {"random bytes", random_bytes(100000, 1)},
      {"a small alphabet", random_bytes(100000, 2, 4)},
      {"JSON", json_like(50000, 3)},
      {"one byte", "x"},
      {"5 MiB of JSON", json_like(5 << 20, 4)},
      {"3 MiB of random bytes", random_bytes(3 << 20, 5)},
  };
  for (const auto& r : rows) {
    SUBCASE(r.name) {
      permessage_deflater deflater{{}};
      permessage_inflater inflater{{}};
      for (int round = 0; round < 2; ++round) { // the second refers back to the first
        const auto compressed = deflate_message(deflater, r.data);
        const auto back = inflate_message(inflater, {compressed});
        REQUIRE(back.ok);
        CHECK(back.out == r.data);
      }
    }
  }
}

TEST_CASE("a message split into many fragments inflates whole") {
  permessage_deflater deflater{{}};
  const auto data = json_like(200000, 6);
  const auto compressed = deflate_message(deflater, data);
  std::vector<std::string_view> frames;
  for (std::size_t at = 0; at < compressed.size(); at += 997)
    frames.push_back(std::string_view(compressed).substr(at, 997));
  permessage_inflater inflater{{}};
  const auto r = inflate_message(inflater, frames);
  CHECK(r.ok);
  CHECK(r.out == data);
}

TEST_CASE("every window size round-trips, with and without context takeover") {
  const auto data = json_like(30000, 7);
  for (int bits = 8; bits <= 15; ++bits) {
    for (bool takeover : {true, false}) {
      deflate_parameters params;
      params.client_max_window_bits = bits;
      params.server_max_window_bits = bits;
      params.client_no_context_takeover = !takeover;
      params.server_no_context_takeover = !takeover;
      permessage_deflater deflater{params};
      permessage_inflater inflater{params};
      for (int round = 0; round < 3; ++round) {
        const auto back = inflate_message(inflater, {deflate_message(deflater, data)});
        CHECK_MESSAGE(back.ok, "bits " << bits << " takeover " << takeover << ": " << back.error);
        CHECK(back.out == data);
      }
    }
  }
}

TEST_CASE("the deflater keeps to client_max_window_bits") {
  // The same 1000 bytes twice, as two messages: a 15-bit window finds the repeat 1000 bytes
  // back, in the previous message, which an inflater with a 9-bit (512-byte) window no longer
  // holds.
  const auto block = random_bytes(1000, 8);
  deflate_parameters narrow;
  narrow.client_max_window_bits = 9;
  narrow.server_max_window_bits = 9;
  auto second_message = [&](permessage_deflater& deflater) {
    permessage_inflater inflater{narrow};
    REQUIRE(inflate_message(inflater, {deflate_message(deflater, block)}).ok);
    return inflate_message(inflater, {deflate_message(deflater, block)});
  };

  SUBCASE("a 9-bit deflater feeds a 9-bit inflater") {
    permessage_deflater deflater{narrow};
    const auto back = second_message(deflater);
    CHECK(back.ok);
    CHECK(back.out == block);
  }
  SUBCASE("a 15-bit deflater does not") {
    permessage_deflater deflater{{}};
    const auto back = second_message(deflater);
    CHECK_FALSE(back.ok);
    CHECK_FALSE(back.error.empty());
  }
}

TEST_CASE("inflating stops at the limit") {
  permessage_deflater deflater{{}};
  const std::string bomb_plain(10 << 20, '\0');
  const auto bomb = deflate_message(deflater, bomb_plain);
  REQUIRE(bomb.size() < 20000);

  SUBCASE("a compressed bomb") {
    permessage_inflater inflater{{}};
    const auto r = inflate_message(inflater, {bomb}, 1 << 20);
    CHECK_FALSE(r.ok);
    CHECK(r.too_big);
    CHECK(r.error.empty());
    CHECK(r.out.size() <= 1 << 20);
  }
  SUBCASE("exactly the limit") {
    permessage_deflater fresh{{}};
    const std::string plain(5000, 'a');
    permessage_inflater inflater{{}};
    const auto r = inflate_message(inflater, {deflate_message(fresh, plain)}, 5000);
    CHECK(r.ok);
    CHECK(r.out == plain);
  }
  SUBCASE("one byte over the limit") {
    permessage_deflater fresh{{}};
    permessage_inflater inflater{{}};
    const auto r =
        inflate_message(inflater, {deflate_message(fresh, std::string(5000, 'a'))}, 4999);
    CHECK_FALSE(r.ok);
    CHECK(r.too_big);
  }
  SUBCASE("the limit counts what earlier fragments produced") {
    permessage_inflater inflater{{}};
    std::string out(4998, 'x');
    bool too_big = false;
    std::string error;
    CHECK_FALSE(inflater.inflate(hello_compressed, true, out, 5000, too_big, error));
    CHECK(too_big);
  }
}

TEST_CASE("corrupt compressed data is reported with zlib's reason") {
  permessage_inflater inflater{{}};
  const auto r = inflate_message(inflater, {"\xFF\xFF\xFF\xFF"s});
  CHECK_FALSE(r.ok);
  CHECK_FALSE(r.too_big);
  CHECK_FALSE(r.error.empty());
}

TEST_CASE("the frame reader inflates compressed messages with the real inflater") {
  permessage_inflater inflater{{}};
  frame_reader_options options;
  options.decompressor = &inflater;
  frame_reader reader{options};
  // RFC 7692 section 7.2.3.1's frames: one compressed Hello, then the same in two fragments.
  const auto bytes = "\xC1\x07"s + std::string(hello_compressed) + "\x41\x03\xF2\x48\xCD"s +
                     "\x80\x04\xC9\xC9\x07\x00"s;
  std::string_view rest = bytes;
  std::vector<std::string> messages;
  for (;;) {
    read_event ev;
    rest.remove_prefix(reader.parse(rest, ev));
    if (ev.what != read_event::type::message)
      break;
    messages.push_back(ev.payload);
  }
  CHECK(messages == std::vector<std::string>{"Hello", "Hello"});
  CHECK(rest.empty());
  CHECK_FALSE(reader.failed());
}
