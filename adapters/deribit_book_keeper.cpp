#include "zenws/adapters/deribit_book_keeper.hpp"

#include <map>
#include <utility>

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "zenws/actors/connection_protocol.hpp"

namespace zenws::deribit {

namespace {

struct keeper_state {
  static inline const char* name = "zenws.book_keeper";
  std::map<std::string, order_book> books;
  std::map<std::string, book_state> counts; ///< breaks and resubscribes per channel
  std::map<std::string, bool> repairing;
  caf::actor source;
  caf::actor downstream;
};
using keeper_actor = caf::stateful_actor<keeper_state>;

/// Unsubscribes and subscribes `channel` again on the source: the snapshot that follows the
/// new subscription repairs the book. One repair at a time per channel.
void repair(keeper_actor* self, const std::string& channel) {
  auto& st = self->state;
  if (!st.source || st.repairing[channel])
    return;
  st.repairing[channel] = true;
  ++st.counts[channel].resubscribes;
  const std::vector<std::string> channels{channel};
  const auto done = [=] { self->state.repairing[channel] = false; };
  self->request(st.source, std::chrono::seconds{10}, unsubscribe_atom::value, channels)
      .then(
          [=](subscription_outcome&) {
            self->request(self->state.source, std::chrono::seconds{10}, subscribe_atom::value,
                          channels)
                .then([=](subscription_outcome&) { done(); }, [=](caf::error&) { done(); });
          },
          [=](caf::error&) { done(); });
}

void feed(keeper_actor* self, const std::string& text) {
  for (auto& [channel, book] : self->state.books) {
    const auto update = book.apply(text);
    if (update == book_update::gap || update == book_update::inconsistent ||
        update == book_update::malformed) {
      ++self->state.counts[channel].breaks;
      repair(self, channel);
    }
  }
}

} // namespace

caf::actor spawn_book_keeper(caf::actor_system& sys, std::vector<std::string> channels,
                             caf::actor downstream) {
  return sys.spawn([channels = std::move(channels),
                    downstream = std::move(downstream)](keeper_actor* self) -> caf::behavior {
    for (const auto& channel : channels)
      self->state.books.emplace(channel, order_book{channel});
    self->state.downstream = downstream;
    // What a downstream handler answers to a forwarded message (CAF replies to plain sends
    // too, with an error when it has no handler) is no concern of the keeper's: the default
    // error handler would end the keeper over it.
    self->set_error_handler([](caf::error&) {});
    // Everything else a connection or a pool sends its handler goes on as it came.
    self->set_default_handler(
        [self](caf::scheduled_actor*, caf::message_view& x) -> caf::result<caf::message> {
          if (self->state.downstream)
            self->send(self->state.downstream, x.move_content_to_message());
          return caf::none;
        });
    return {
        [self](text_frame& f) {
          feed(self, f.data);
          if (self->state.downstream)
            self->send(self->state.downstream, std::move(f));
        },
        [self](caf::put_atom, caf::actor source) { self->state.source = std::move(source); },
        [self](caf::get_atom, const std::string& channel,
               std::uint32_t depth) -> caf::result<book_state> {
          const auto it = self->state.books.find(channel);
          if (it == self->state.books.end())
            return make_error(
                failure{errc::bad_channel, "the book keeper does not keep " + channel, 0, 0});
          auto out = self->state.counts[channel];
          out.channel = channel;
          out.valid = it->second.valid();
          out.change_id = it->second.change_id();
          out.bids = it->second.bids(depth);
          out.asks = it->second.asks(depth);
          return out;
        },
    };
  });
}

void register_book_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<book_level>("zenws.deribit.book_level");
  cfg.add_message_type<book_state>("zenws.deribit.book_state");
}

} // namespace zenws::deribit
