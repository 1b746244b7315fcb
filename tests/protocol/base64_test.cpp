#include "zenws/protocol/base64.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace zenws;

TEST_CASE("base64 matches the RFC 4648 test vectors both ways") {
  const std::vector<std::pair<std::string, std::string>> vectors = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    SUBCASE(encoded.c_str()) {
      CHECK(base64_encode(plain) == encoded);
      CHECK(base64_decode(encoded) == plain);
    }
  }
}

TEST_CASE("base64 uses + and / for the last two digits") {
  CHECK(base64_encode("\xFB\xFF") == "+/8=");
  CHECK(base64_decode("+/8=") == std::string("\xFB\xFF"));
}

TEST_CASE("base64 decodes unpadded text") {
  CHECK(base64_decode("Zg") == std::string("f"));
  CHECK(base64_decode("Zm8") == std::string("fo"));
  CHECK(base64_decode("Zm9vYmE") == std::string("fooba"));
}

TEST_CASE("base64 decoding refuses what is not base64") {
  const std::vector<std::pair<const char*, std::string>> rows = {
      {"a lone last character", "Zm9vY"},
      {"padding that does not complete a group", "Zg="},
      {"three padding characters", "Zg==="},
      {"only padding", "===="},
      {"padding in the middle", "Zg==Zm8="},
      {"a space", "Zm9 v"},
      {"a line break", "Zm9v\n"},
      {"the URL-safe alphabet", "-_8="},
      {"a NUL", std::string("Zm\0v", 4)},
  };
  for (const auto& [name, text] : rows) {
    SUBCASE(name) {
      CHECK_FALSE(base64_decode(text).has_value());
    }
  }
}

TEST_CASE("base64 round-trips every byte value at every length up to 20") {
  std::string all;
  for (int b = 0; b < 256; ++b)
    all += static_cast<char>(b);
  for (std::size_t n = 0; n <= 20; ++n) {
    for (std::size_t at = 0; at + n <= all.size(); at += 13) {
      const auto data = all.substr(at, n);
      const auto encoded = base64_encode(data);
      CHECK(encoded.size() == (n + 2) / 3 * 4);
      CHECK(base64_decode(encoded) == data);
    }
  }
}
