// Recording: the recorder actor's flushing, and a connection recording its frames both ways,
// secrets redacted, its close, and everything it held when it was killed.

#include <doctest/doctest.h>

#include <atomic>
#include <filesystem>
#include <fstream>

#include "connection_fixture.hpp"
#include "zenws/actors/recorder.hpp"
#include "zenws/actors/replay.hpp"
#include "zenws/protocol/recording.hpp"

using namespace connection_test;

namespace {

/// A fresh path under /tmp, removed when the test ends.
struct temp_file {
  std::filesystem::path path;
  temp_file() {
    static std::atomic<int> counter{0};
    path =
        std::filesystem::temp_directory_path() / ("zenws-recording-" + std::to_string(::getpid()) +
                                                  "-" + std::to_string(++counter) + ".jsonl");
    std::filesystem::remove(path);
  }
  ~temp_file() { std::filesystem::remove(path); }

  std::vector<std::string> lines() const {
    std::vector<std::string> out;
    std::ifstream in{path};
    for (std::string line; std::getline(in, line);)
      out.push_back(line);
    return out;
  }

  /// Waits up to 5 s for at least `n` lines.
  std::vector<std::string> wait_for_lines(std::size_t n) const {
    for (int i = 0; i < 500; ++i) {
      auto got = lines();
      if (got.size() >= n)
        return got;
      std::this_thread::sleep_for(10ms);
    }
    return lines();
  }
};

std::vector<zenws::record_entry> parse_all(const std::vector<std::string>& lines) {
  std::vector<zenws::record_entry> out;
  for (const auto& line : lines) {
    auto parsed = zenws::parse_jsonl(line);
    REQUIRE_MESSAGE(parsed.entry, parsed.error.detail);
    out.push_back(std::move(*parsed.entry));
  }
  return out;
}

bool has(const std::vector<zenws::record_entry>& entries, zenws::record_dir dir,
         const std::string& part) {
  return std::any_of(entries.begin(), entries.end(), [&](const auto& e) {
    return e.dir == dir && e.data.find(part) != std::string::npos;
  });
}

} // namespace

TEST_CASE_FIXTURE(fixture, "the recorder writes every flush_lines lines, and on request") {
  temp_file file;
  zenws::recorder_options options;
  options.flush_lines = 3;
  options.flush_interval = 10s; // only size and requests flush here
  auto recorder = zenws::spawn_recorder(sys, file.path.string(), options);
  REQUIRE(recorder);
  for (int i = 0; i < 4; ++i)
    self->send(*recorder, zenws::record_atom::value, "line " + std::to_string(i));
  CHECK(file.wait_for_lines(3).size() == 3);
  std::uint64_t written = 0;
  self->request(*recorder, wait, zenws::flush_atom::value)
      .receive([&](std::uint64_t n) { written = n; }, [](caf::error&) {});
  CHECK(written == 4);
  CHECK(file.lines() == std::vector<std::string>{"line 0", "line 1", "line 2", "line 3"});
  self->send_exit(*recorder, caf::exit_reason::user_shutdown);
}

TEST_CASE_FIXTURE(fixture, "a recording holds both directions, redacted, and the close") {
  temp_file file;
  kit::test_server server;
  server.set_responder(kit::json_rpc_venue());
  auto config = fast_config(server.url("/"));
  config.record_to = file.path.string();
  zenws::connection_options options;
  options.bootstrap = [] {
    return std::vector<zenws::bootstrap_call>{
        {"public/auth", R"({"grant_type":"client_credentials","client_id":"me",)"
                        R"("client_secret":"hunter2"})"}};
  };
  auto conn = spawn(config, options);
  REQUIRE(ask<zenws::upgrade_response>(conn, caf::connect_atom::value).first);
  REQUIRE(request(conn, "public/get_time").first);
  self->send(conn, zenws::send_atom::value, zenws::text_frame{"hello"});
  REQUIRE(ask<zenws::disconnect_info>(conn, caf::close_atom::value, std::uint16_t{1000},
                                      std::string{"bye"})
              .first);
  self->send_exit(conn, caf::exit_reason::user_shutdown);
  const auto entries = parse_all(file.wait_for_lines(6));
  CHECK(has(entries, zenws::record_dir::out, "public/auth"));
  CHECK(has(entries, zenws::record_dir::out, R"("client_secret":"[REDACTED]")"));
  CHECK(has(entries, zenws::record_dir::out, "public/get_time"));
  CHECK(has(entries, zenws::record_dir::in, R"("result":"ok")"));
  CHECK(has(entries, zenws::record_dir::out, "hello"));
  const auto close = std::find_if(entries.begin(), entries.end(), [](const auto& e) {
    return e.type == zenws::record_type::close;
  });
  REQUIRE(close != entries.end());
  CHECK(close->close_code == 1000);
  CHECK(close->dir == zenws::record_dir::out);
  for (const auto& line : file.lines())
    CHECK(line.find("hunter2") == std::string::npos);
}

TEST_CASE_FIXTURE(fixture, "a killed connection's recording still holds everything") {
  temp_file file;
  kit::test_server server;
  server.set_responder(kit::json_rpc_venue());
  auto config = fast_config(server.url("/"));
  config.record_to = file.path.string();
  auto conn = spawn(config);
  REQUIRE(ask<zenws::upgrade_response>(conn, caf::connect_atom::value).first);
  for (int i = 0; i < 40; ++i) // 80 lines: below the 100-line flush, well within its 1 s
    REQUIRE(request(conn, "public/get_time").first);
  self->send_exit(conn, caf::exit_reason::kill);
  const auto lines = file.wait_for_lines(80);
  CHECK(lines.size() == 80);
  const auto entries = parse_all(lines);
  CHECK(zenws::summarize(entries).outbound == 40);
  CHECK(zenws::summarize(entries).inbound == 40);
}

TEST_CASE_FIXTURE(fixture, "a record_to that cannot be opened is refused at connect") {
  kit::test_server server;
  auto config = fast_config(server.url("/"));
  config.record_to = "/nonexistent-zenws-dir/session.jsonl";
  auto conn = spawn(config);
  const auto [up, err] = ask<zenws::upgrade_response>(conn, caf::connect_atom::value);
  CHECK_FALSE(up);
  CHECK(err.code == errc::invalid_config);
  CHECK(err.detail.find("cannot open /nonexistent-zenws-dir/session.jsonl") != std::string::npos);
  CHECK(server.accepted_connections() == 0);
  self->send_exit(conn, caf::exit_reason::user_shutdown);
}

namespace {

/// Writes a recording: inbound "a" at 0, outbound "x" at 50 ms, inbound "b" at 100 ms, a bad
/// line, inbound "c" at 200 ms, then the server's close 1001 at 200 ms.
void write_sample(const temp_file& file) {
  const zenws::wall_time t0{std::chrono::seconds{1768923045}};
  using zenws::record_dir;
  using zenws::record_type;
  std::ofstream out{file.path};
  out << zenws::to_jsonl({t0, record_dir::in, record_type::text, "a", 0, {}}) << "\n"
      << zenws::to_jsonl({t0 + 50ms, record_dir::out, record_type::text, "x", 0, {}}) << "\n"
      << zenws::to_jsonl({t0 + 100ms, record_dir::in, record_type::text, "b", 0, {}}) << "\n"
      << R"({"ts":"yesterday"})"
      << "\n\n"
      << zenws::to_jsonl({t0 + 200ms, record_dir::in, record_type::text, "c", 0, {}}) << "\n"
      << zenws::to_jsonl({t0 + 200ms, record_dir::in, record_type::close, {}, 1001, "away"})
      << "\n";
}

} // namespace

TEST_CASE_FIXTURE(fixture, "a recording is read with its bad lines counted") {
  temp_file file;
  write_sample(file);
  auto rec = zenws::read_recording(file.path.string());
  REQUIRE(rec);
  CHECK(rec->entries.size() == 5);
  CHECK(rec->bad_lines == 1);
  CHECK(rec->first_error.rfind("line 4: ", 0) == 0);
  auto missing = zenws::read_recording("/nonexistent-zenws-dir/x.jsonl");
  REQUIRE_FALSE(missing);
  CHECK(zenws::to_failure(missing.error()).code == errc::invalid_config);
}

TEST_CASE_FIXTURE(fixture, "a replay feeds the handler what the venue sent, at either pace") {
  temp_file file;
  write_sample(file);
  for (const auto pace : {zenws::replay_pace::fast, zenws::replay_pace::recorded}) {
    auto rec = zenws::read_recording(file.path.string());
    REQUIRE(rec);
    auto player = zenws::spawn_replay(sys, std::move(*rec), handler, pace);
    const auto start = clock_type::now();
    zenws::replay_report report;
    self->request(player, wait, zenws::replay_atom::value)
        .receive([&](zenws::replay_report& r) { report = r; }, [](caf::error&) {});
    CHECK(report.delivered == 4);
    CHECK(report.outbound == 1);
    CHECK(report.duration_ms == 200);
    std::vector<std::string> seen;
    for (int i = 0; i < 4; ++i) {
      const auto e = next();
      seen.push_back(e.tag == "text" ? e.text : e.tag);
    }
    CHECK(seen == std::vector<std::string>{"a", "b", "c", "disconnected"});
    const auto took = clock_type::now() - start;
    if (pace == zenws::replay_pace::recorded)
      CHECK(took >= 190ms);
    else
      CHECK(took < 190ms);
    self->send_exit(player, caf::exit_reason::user_shutdown);
  }
}
