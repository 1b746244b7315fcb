#include "zenws/protocol/utf8.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "reference_utf8.hpp"

using namespace zenws;
using namespace std::string_literals;

TEST_CASE("is_valid_utf8 accepts well-formed UTF-8 and nothing else") {
  struct row {
    const char* name;
    std::string text;
    bool valid;
  };
  const std::vector<row> rows = {
      {"empty", "", true},
      {"ASCII with NUL", "a\0b"s, true},
      {"2-byte U+00E9", "\xC3\xA9", true},
      {"3-byte U+20AC", "\xE2\x82\xAC", true},
      {"4-byte U+1F600", "\xF0\x9F\x98\x80", true},
      {"lowest 2-byte U+0080", "\xC2\x80", true},
      {"lowest 3-byte U+0800", "\xE0\xA0\x80", true},
      {"lowest 4-byte U+10000", "\xF0\x90\x80\x80", true},
      {"last before surrogates U+D7FF", "\xED\x9F\xBF", true},
      {"first after surrogates U+E000", "\xEE\x80\x80", true},
      {"highest U+10FFFF", "\xF4\x8F\xBF\xBF", true},
      {"above U+10FFFF", "\xF4\x90\x80\x80", false},
      {"lead F5", "\xF5\x80\x80\x80", false},
      {"lead FF", "\xFF", false},
      {"high surrogate U+D800", "\xED\xA0\x80", false},
      {"low surrogate U+DFFF", "\xED\xBF\xBF", false},
      {"overlong C0 80", "\xC0\x80", false},
      {"overlong C1 BF", "\xC1\xBF", false},
      {"overlong 3-byte", "\xE0\x9F\xBF", false},
      {"overlong 4-byte", "\xF0\x8F\xBF\xBF", false},
      {"lone continuation", "\x80", false},
      {"truncated 2-byte", "\xC3", false},
      {"truncated 3-byte", "\xE2\x82", false},
      {"truncated 4-byte", "\xF0\x9F\x98", false},
      {"ASCII after a lead byte",
       "\xC3"
       "a",
       false},
      {"invalid after 8 ASCII bytes", "abcdefgh\xFF", false},
      {"valid after 9 ASCII bytes", "abcdefghi\xC3\xA9jklmnopqrstu", true},
  };
  for (const auto& r : rows) {
    SUBCASE(r.name) {
      CHECK(is_valid_utf8(r.text) == r.valid);
      CHECK(zenws::test::reference_utf8(r.text) == r.valid);
    }
  }
}

// Counts the inputs on which the validator and the reference disagree; names the first.
struct disagreements {
  std::size_t count = 0;
  std::string first;

  void check(const std::string& s) {
    if (is_valid_utf8(s) == zenws::test::reference_utf8(s) || count++ > 0)
      return;
    for (const char c : s)
      first += std::to_string(static_cast<unsigned char>(c)) + " ";
  }
};

TEST_CASE("the validator agrees with a reference decoder on every 1- to 3-byte sequence") {
  disagreements d;
  for (int a = 0; a < 256; ++a) {
    d.check(std::string(1, static_cast<char>(a)));
    for (int b = 0; b < 256; ++b) {
      d.check({static_cast<char>(a), static_cast<char>(b)});
      if (a < 0xE0)
        continue; // a third byte only matters after a 3- or 4-byte lead
      for (int c = 0; c < 256; ++c)
        d.check({static_cast<char>(a), static_cast<char>(b), static_cast<char>(c)});
    }
  }
  CHECK_MESSAGE(d.count == 0, "first: " << d.first);
}

TEST_CASE("the validator agrees with a reference decoder on 4-byte sequences") {
  disagreements d;
  for (int a = 0xF0; a <= 0xF7; ++a)
    for (int b = 0x70; b < 0xC8; ++b)
      for (int c : {0x7F, 0x80, 0xBF, 0xC0})
        for (int e : {0x7F, 0x80, 0xBF, 0xC0})
          d.check({static_cast<char>(a), static_cast<char>(b), static_cast<char>(c),
                   static_cast<char>(e)});
  CHECK_MESSAGE(d.count == 0, "first: " << d.first);
}

TEST_CASE("the ASCII fast path finds a bad byte at any position") {
  for (std::size_t at = 0; at < 40; ++at) {
    std::string text(40, 'a');
    text[at] = '\x80';
    CHECK_MESSAGE(!is_valid_utf8(text), "at " << at);
    text.replace(at, 1, "\xC3\xA9");
    CHECK_MESSAGE(is_valid_utf8(text), "at " << at);
  }
}

TEST_CASE("a code point split across pieces is accepted once complete") {
  utf8_validator v;
  CHECK(v.feed("price \xE2"));
  CHECK_FALSE(v.complete());
  CHECK(v.feed("\x82"));
  CHECK_FALSE(v.complete());
  CHECK(v.feed("\xAC"));
  CHECK(v.complete());
  CHECK(v.feed(""));
  CHECK(v.complete());
}

TEST_CASE("the validator fails on the first impossible byte and stays failed") {
  utf8_validator v;
  CHECK(v.feed("ok \xED"));
  CHECK_FALSE(v.feed("\xA0")); // a surrogate: fails here, not at the end
  CHECK_FALSE(v.complete());
  CHECK_FALSE(v.feed("fine"));
  CHECK_FALSE(v.complete());
}

TEST_CASE("reset starts a new message") {
  utf8_validator v;
  CHECK_FALSE(v.feed("\xFF"));
  v.reset();
  CHECK(v.complete());
  CHECK(v.feed("\xC3\xA9"));
  CHECK(v.complete());
  CHECK(v.feed("\xC3"));
  v.reset();
  CHECK(v.complete());
}
