#pragma once
/// @file
/// An actor that keeps Deribit order books (deribit::order_book) from the messages a connection
/// or a pool delivers, and repairs a broken book itself: on a gap, an inconsistent or a
/// malformed message it unsubscribes the channel and subscribes it again on its source, and
/// the fresh snapshot makes the book valid again. Put it where the handler goes, in front of
/// your own handler: every message it receives is forwarded to `downstream` as it came.
///
///     keeper <- text_frame                         book channels applied; everything forwarded
///     keeper <- (put_atom, caf::actor source)      where to resubscribe (a connection or a pool)
///     keeper <- (get_atom, channel, depth)         -> book_state
///
/// @code
/// auto keeper = zenws::deribit::spawn_book_keeper(sys, {"book.BTC-PERPETUAL.100ms"}, handler);
/// auto pool = zenws::spawn_pool(sys, io, spec, keeper);
/// caf::anon_send(keeper, caf::put_atom::value, caf::actor_cast<caf::actor>(pool));
/// // subscribe the channel through the pool; later:
/// self->request(keeper, 1s, caf::get_atom::value, std::string{"book.BTC-PERPETUAL.100ms"},
///               std::uint32_t{10}).receive([](const zenws::deribit::book_state& b) { ... }, ...);
/// @endcode

#include <cstdint>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/meta/type_name.hpp>

#include "zenws/adapters/deribit_order_book.hpp"

namespace zenws::deribit {

/// One book as the keeper holds it.
struct book_state {
  std::string channel;
  bool valid = false;
  std::int64_t change_id = 0;
  std::vector<book_level> bids; ///< best first, at most the depth asked for
  std::vector<book_level> asks;
  std::uint64_t breaks = 0;       ///< gaps, inconsistent and malformed messages so far
  std::uint64_t resubscribes = 0; ///< repairs started
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, book_level& x) {
  return f(caf::meta::type_name("zenws.deribit.book_level"), x.price, x.amount);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, book_state& x) {
  return f(caf::meta::type_name("zenws.deribit.book_state"), x.channel, x.valid, x.change_id,
           x.bids, x.asks, x.breaks, x.resubscribes);
}

/// Spawns a keeper for `channels` (book channels, as order_book takes them). `downstream` (may
/// be empty) receives every message the keeper receives. Until a source is set, a broken book
/// waits for a snapshot without asking for one.
caf::actor spawn_book_keeper(caf::actor_system& sys, std::vector<std::string> channels,
                             caf::actor downstream = {});

/// Registers book_state and book_level with `cfg`: needed to print them and to ask a keeper on
/// another node (CAF's middleman).
void register_book_types(caf::actor_system_config& cfg);

} // namespace zenws::deribit
