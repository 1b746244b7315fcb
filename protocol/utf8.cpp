#include "zenws/protocol/utf8.hpp"

#include <array>
#include <cstring>

namespace zenws {

namespace {

// A deterministic automaton over byte classes. Bytes that play the same role in every state
// share a class, so the transition table is classes x states instead of 256 x states. The
// second byte of a sequence is where overlongs, surrogates and code points above U+10FFFF are
// ruled out, so the lead bytes that constrain it get classes (and states) of their own.

enum byte_class : std::uint8_t {
  ascii,     // 00..7F
  cont_low,  // 80..8F: a continuation byte; the only ones allowed right after F4
  cont_mid,  // 90..9F: a continuation byte; with cont_low, the only ones allowed after ED
  cont_high, // A0..BF: a continuation byte; with cont_mid, the only ones allowed after F0
  lead2,     // C2..DF: starts a 2-byte sequence
  lead3_e0,  // E0: a 3-byte sequence whose second byte must be A0..BF (else overlong)
  lead3,     // E1..EC, EE..EF
  lead3_ed,  // ED: second byte 80..9F (A0..BF would encode surrogates)
  lead4_f0,  // F0: second byte 90..BF (else overlong)
  lead4,     // F1..F3
  lead4_f4,  // F4: second byte 80..8F (else above U+10FFFF)
  never,     // C0, C1 (always overlong), F5..FF (always above U+10FFFF)
  class_count
};

enum dfa_state : std::uint8_t {
  accept,   // between code points
  reject,   // not UTF-8, whatever follows
  need1,    // one more continuation byte of any kind
  need2,    // two more
  need3,    // three more
  after_e0, // one cont_high, then need1
  after_ed, // one cont_low or cont_mid, then need1
  after_f0, // one cont_mid or cont_high, then need2
  after_f4, // one cont_low, then need2
  state_count
};

constexpr std::array<std::uint8_t, 256> make_byte_classes() {
  std::array<std::uint8_t, 256> classes{};
  auto set = [&classes](int first, int last, byte_class c) {
    for (int b = first; b <= last; ++b)
      classes[static_cast<std::size_t>(b)] = c;
  };
  set(0x00, 0x7F, ascii);
  set(0x80, 0x8F, cont_low);
  set(0x90, 0x9F, cont_mid);
  set(0xA0, 0xBF, cont_high);
  set(0xC0, 0xC1, never);
  set(0xC2, 0xDF, lead2);
  set(0xE0, 0xE0, lead3_e0);
  set(0xE1, 0xEC, lead3);
  set(0xED, 0xED, lead3_ed);
  set(0xEE, 0xEF, lead3);
  set(0xF0, 0xF0, lead4_f0);
  set(0xF1, 0xF3, lead4);
  set(0xF4, 0xF4, lead4_f4);
  set(0xF5, 0xFF, never);
  return classes;
}

// States are stored premultiplied by class_count, so a step is one add and one load:
// next = transitions[state + class].
constexpr std::uint8_t row(dfa_state s) {
  return static_cast<std::uint8_t>(s * class_count);
}

using transition_table = std::array<std::uint8_t, std::size_t{state_count} * class_count>;

constexpr transition_table make_transitions() {
  transition_table table{};
  for (auto& next : table)
    next = row(reject);
  auto on = [&table](dfa_state from, byte_class c, dfa_state to) {
    table[static_cast<std::size_t>(row(from) + c)] = row(to);
  };
  on(accept, ascii, accept);
  on(accept, lead2, need1);
  on(accept, lead3_e0, after_e0);
  on(accept, lead3, need2);
  on(accept, lead3_ed, after_ed);
  on(accept, lead4_f0, after_f0);
  on(accept, lead4, need3);
  on(accept, lead4_f4, after_f4);
  for (auto c : {cont_low, cont_mid, cont_high}) {
    on(need1, c, accept);
    on(need2, c, need1);
    on(need3, c, need2);
  }
  on(after_e0, cont_high, need1);
  on(after_ed, cont_low, need1);
  on(after_ed, cont_mid, need1);
  on(after_f0, cont_mid, need2);
  on(after_f0, cont_high, need2);
  on(after_f4, cont_low, need2);
  return table;
}

constexpr auto byte_classes = make_byte_classes();
constexpr auto transitions = make_transitions();

// Skips ASCII, eight bytes per step while eight remain. Market data is almost all ASCII, so
// this is where the time goes.
const unsigned char* skip_ascii(const unsigned char* p, const unsigned char* end) noexcept {
  constexpr std::uint64_t high_bits = 0x8080808080808080ULL;
  while (end - p >= 8) {
    std::uint64_t word;
    std::memcpy(&word, p, sizeof word);
    if ((word & high_bits) != 0)
      break;
    p += 8;
  }
  while (p != end && *p < 0x80)
    ++p;
  return p;
}

} // namespace

bool utf8_validator::feed(std::string_view piece) noexcept {
  auto p = reinterpret_cast<const unsigned char*>(piece.data());
  const auto end = p + piece.size();
  auto state = state_;
  while (p != end && state != row(reject)) {
    if (state == row(accept)) {
      p = skip_ascii(p, end);
      if (p == end)
        break;
    }
    state = transitions[state + byte_classes[*p++]];
  }
  state_ = state;
  return state != row(reject);
}

bool utf8_validator::complete() const noexcept {
  return state_ == row(accept);
}

void utf8_validator::reset() noexcept {
  state_ = row(accept);
}

bool is_valid_utf8(std::string_view text) noexcept {
  utf8_validator validator;
  return validator.feed(text) && validator.complete();
}

} // namespace zenws
