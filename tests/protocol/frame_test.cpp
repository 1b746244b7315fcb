#include "zenws/protocol/frame.hpp"

#include <doctest/doctest.h>

#include <random>
#include <string>

using namespace zenws;
using namespace std::string_literals;

namespace {

const masking_key key = {0x37, 0xFA, 0x21, 0x3D};

// The obvious byte-at-a-time masking of RFC 6455 section 5.3, to check apply_mask against.
std::string reference_mask(std::string data, const masking_key& k, std::size_t offset) {
  for (std::size_t i = 0; i < data.size(); ++i)
    data[i] = static_cast<char>(data[i] ^ k[(offset + i) % 4]);
  return data;
}

std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::string s(n, '\0');
  for (auto& c : s)
    c = static_cast<char>(gen());
  return s;
}

struct decoded_frame {
  std::uint8_t first = 0;
  bool masked = false;
  std::uint64_t length = 0;
  std::size_t length_bytes = 0; ///< extended length bytes after the second byte
  masking_key key{};
  std::string payload; ///< unmasked
};

// Decodes a client frame the way a server would (RFC 6455 section 5.2).
decoded_frame decode(std::string_view frame) {
  decoded_frame d;
  auto byte = [&frame](std::size_t i) { return static_cast<std::uint8_t>(frame.at(i)); };
  d.first = byte(0);
  d.masked = (byte(1) & 0x80) != 0;
  d.length = byte(1) & 0x7F;
  d.length_bytes = d.length == 126 ? 2 : d.length == 127 ? 8 : 0;
  if (d.length_bytes != 0) {
    d.length = 0;
    for (std::size_t i = 0; i < d.length_bytes; ++i)
      d.length = d.length << 8 | byte(2 + i);
  }
  const auto key_at = 2 + d.length_bytes;
  for (std::size_t i = 0; i < 4; ++i)
    d.key[i] = byte(key_at + i);
  d.payload = reference_mask(std::string(frame.substr(key_at + 4)), d.key, 0);
  return d;
}

} // namespace

TEST_CASE("a client frame decodes to its payload for each length encoding") {
  const std::vector<std::pair<std::size_t, std::size_t>> lengths = {
      {0, 0}, {1, 0}, {125, 0}, {126, 2}, {65535, 2}, {65536, 8}, {100000, 8}};
  for (const auto& [size, length_bytes] : lengths) {
    SUBCASE(std::to_string(size).c_str()) {
      const auto payload = random_bytes(size, static_cast<unsigned>(size));
      std::string out;
      append_client_frame(out, opcode::binary, true, false, payload, key);
      CHECK(out.size() == 2 + length_bytes + 4 + size);
      const auto d = decode(out);
      CHECK(d.first == 0x82);
      CHECK(d.masked);
      CHECK(d.length_bytes == length_bytes);
      CHECK(d.length == size);
      CHECK(d.key == key);
      CHECK(d.payload == payload);
      if (size > 8)
        CHECK(out.substr(out.size() - size) != payload); // the wire bytes are masked
    }
  }
}

TEST_CASE("FIN, RSV1 and the opcode make the first byte") {
  struct row {
    const char* name;
    opcode op;
    bool fin;
    bool rsv1;
    std::uint8_t first;
  };
  const row rows[] = {
      {"final text", opcode::text, true, false, 0x81},
      {"compressed final binary", opcode::binary, true, true, 0xC2},
      {"first fragment of compressed text", opcode::text, false, true, 0x41},
      {"middle continuation", opcode::continuation, false, false, 0x00},
      {"last continuation", opcode::continuation, true, false, 0x80},
      {"close", opcode::close, true, false, 0x88},
      {"ping", opcode::ping, true, false, 0x89},
      {"pong", opcode::pong, true, false, 0x8A},
  };
  for (const auto& r : rows) {
    SUBCASE(r.name) {
      std::string out;
      append_client_frame(out, r.op, r.fin, r.rsv1, "x", key);
      CHECK(static_cast<std::uint8_t>(out[0]) == r.first);
    }
  }
}

TEST_CASE("a client frame is appended after what the buffer holds") {
  std::string out = "earlier";
  append_client_frame(out, opcode::text, true, false, "hi", key);
  append_client_frame(out, opcode::ping, true, false, "", key);
  CHECK(out.substr(0, 7) == "earlier");
  CHECK(decode(std::string_view(out).substr(7, 8)).payload == "hi");
  CHECK(out.substr(15) == "\x89\x80"s + "\x37\xFA\x21\x3D");
}

TEST_CASE("apply_mask matches byte-wise masking for every offset and length") {
  for (std::size_t offset = 0; offset < 8; ++offset) {
    SUBCASE(("offset " + std::to_string(offset)).c_str()) {
      for (std::size_t size : {0, 1, 3, 4, 7, 8, 9, 15, 16, 17, 31, 64, 1001}) {
        const auto data = random_bytes(size, static_cast<unsigned>(size * 8 + offset));
        auto masked = data;
        apply_mask(masked.data(), masked.size(), key, offset);
        CHECK_MESSAGE(masked == reference_mask(data, key, offset), "size " << size);
      }
    }
  }
}

TEST_CASE("masking in pieces with running offsets equals masking at once") {
  const auto data = random_bytes(1000, 7);
  auto whole = data;
  apply_mask(whole.data(), whole.size(), key);
  auto pieces = data;
  std::size_t at = 0;
  for (std::size_t piece : {3, 1, 10, 7, 500, 479}) {
    apply_mask(pieces.data() + at, piece, key, at);
    at += piece;
  }
  CHECK(pieces == whole);
}

TEST_CASE("masking twice restores the data") {
  const auto data = random_bytes(77, 3);
  auto twice = data;
  apply_mask(twice.data(), twice.size(), key, 2);
  CHECK(twice != data);
  apply_mask(twice.data(), twice.size(), key, 2);
  CHECK(twice == data);
}

TEST_CASE("a close payload is the big-endian code, then the reason") {
  CHECK(make_close_payload(1000, "bye") == "\x03\xE8"
                                           "bye");
  CHECK(make_close_payload(1001, "") == "\x03\xE9");
  CHECK(make_close_payload(4999, "x") == "\x13\x87x");
  CHECK(make_close_payload(0, "ignored").empty());
}
