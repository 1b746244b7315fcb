#pragma once
// What every C++ benchmark client shares: its command line, the figures it measures and the
// one JSON line it prints. Each client implements the scenarios with its own library only; the
// orchestrator (bench/run_bench.py) starts the server and the clients and compares them.
//
//   <client> --port P --scenario rtt|inbound|outbound|idle|heartbeat|reconnect
//            [--size BYTES] [--count N] [--warmup N] [--connections N]
//
//   rtt        one message in flight on /echo: `count` round trips of `size` bytes after
//              `warmup`; latency percentiles
//   inbound    /push: the server sends `count` messages of `size` bytes, each delivered to user
//              code; messages per second from "go" to "done"
//   outbound   /sink: the client sends `count` messages of `size` bytes; until the server's
//              "done"
//   idle       `connections` connections open on /idle at once; resident memory before/after
//   heartbeat  inbound with a server ping every 100 messages (the server measures the pongs)
//   reconnect  /echo: the server resets the connection `count` times; time from the drop to
//              ready again (libraries that reconnect by themselves only)

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include <sys/resource.h>

namespace bench {

using clock_type = std::chrono::steady_clock;
using nanos = std::chrono::nanoseconds;

struct options {
  std::string scenario = "rtt";
  unsigned port = 0;
  std::size_t size = 64;
  long count = 10000;
  long warmup = 1000;
  long connections = 1000;
  bool batches = false; ///< zenws only: connection_options::deliver_batches

  std::string target() const {
    if (scenario == "rtt" || scenario == "reconnect")
      return "/echo";
    if (scenario == "inbound")
      return "/push?count=" + std::to_string(count) + "&size=" + std::to_string(size);
    if (scenario == "heartbeat")
      return "/push?count=" + std::to_string(count) + "&size=" + std::to_string(size) +
             "&ping_every=100";
    if (scenario == "outbound")
      return "/sink?count=" + std::to_string(count);
    return "/idle";
  }
  std::string url() const { return "ws://127.0.0.1:" + std::to_string(port) + target(); }
};

inline options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i];
    const char* value = argv[i + 1];
    if (key == "--scenario")
      o.scenario = value;
    else if (key == "--port")
      o.port = static_cast<unsigned>(std::atoi(value));
    else if (key == "--size")
      o.size = static_cast<std::size_t>(std::atol(value));
    else if (key == "--count")
      o.count = std::atol(value);
    else if (key == "--warmup")
      o.warmup = std::atol(value);
    else if (key == "--connections")
      o.connections = std::atol(value);
    else if (key == "--batches")
      o.batches = std::atoi(value) != 0;
    else {
      std::fprintf(stderr, "unknown option %s\n", argv[i]);
      std::exit(2);
    }
  }
  if (o.port == 0 || (argc - 1) % 2 != 0) {
    std::fprintf(stderr,
                 "usage: %s --port P --scenario S [--size B] [--count N] [--warmup N] "
                 "[--connections N]\n",
                 argv[0]);
    std::exit(2);
  }
  return o;
}

/// The message every client sends: ASCII, exactly `size` bytes.
inline std::string payload(std::size_t size) {
  return std::string(size, 'x');
}

/// User plus system CPU time of this process, in microseconds.
inline double cpu_us() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto us = [](const timeval& t) { return static_cast<double>(t.tv_sec) * 1e6 + t.tv_usec; };
  return us(u.ru_utime) + us(u.ru_stime);
}

/// Resident memory of this process, in KiB.
inline long rss_kib() {
  std::ifstream status{"/proc/self/status"};
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0)
      return std::atol(line.c_str() + 6);
  return 0;
}

inline double seconds(nanos d) {
  return std::chrono::duration<double>(d).count();
}

/// Prints the result line of a latency scenario (rtt, reconnect).
inline void print_latencies(const char* client, const options& o, std::vector<nanos> samples,
                            double cpu) {
  std::sort(samples.begin(), samples.end());
  auto at = [&](double p) {
    const auto i = static_cast<std::size_t>(p * static_cast<double>(samples.size() - 1));
    return static_cast<double>(samples[i].count()) / 1000.0;
  };
  std::printf("{\"client\":\"%s\",\"scenario\":\"%s\",\"size\":%zu,\"count\":%zu,"
              "\"p50_us\":%.2f,\"p99_us\":%.2f,\"p999_us\":%.2f,\"max_us\":%.2f,"
              "\"cpu_us_per_msg\":%.3f,\"cdf\":[",
              client, o.scenario.c_str(), o.size, samples.size(), at(0.5), at(0.99), at(0.999),
              at(1.0), cpu / static_cast<double>(std::max<std::size_t>(samples.size(), 1)));
  // The distribution for the plots: 200 points, denser towards the tail.
  for (int i = 0; i < 200; ++i) {
    const double p = 1.0 - std::pow(10.0, -4.0 * i / 199.0);
    std::printf("%s[%.6f,%.2f]", i ? "," : "", p, at(p));
  }
  std::printf("]}\n");
}

/// Prints the result line of a throughput scenario (inbound, outbound, heartbeat).
inline void print_throughput(const char* client, const options& o, long delivered, nanos elapsed,
                             double cpu) {
  const double secs = seconds(elapsed);
  std::printf("{\"client\":\"%s\",\"scenario\":\"%s\",\"size\":%zu,\"count\":%ld,"
              "\"delivered\":%ld,\"seconds\":%.6f,\"msgs_per_s\":%.0f,\"mib_per_s\":%.2f,"
              "\"cpu_us_per_msg\":%.3f}\n",
              client, o.scenario.c_str(), o.size, o.count, delivered, secs, delivered / secs,
              static_cast<double>(delivered) * static_cast<double>(o.size) / secs / 1048576.0,
              cpu / static_cast<double>(std::max(delivered, 1L)));
}

/// Prints the result line of the idle scenario. Every client measures it the same way: it opens
/// one connection and waits until it is open (the warm-up: what a library sets up once, such as
/// a random generator or an allocator arena, is not a cost of each connection), reads its RSS
/// (`before_kib`), opens `connections` more, and reads it again when all of them are open.
inline void print_memory(const char* client, const options& o, long before_kib, long after_kib) {
  std::printf("{\"client\":\"%s\",\"scenario\":\"idle\",\"connections\":%ld,"
              "\"rss_before_kib\":%ld,\"rss_after_kib\":%ld,\"kib_per_connection\":%.2f}\n",
              client, o.connections, before_kib, after_kib,
              static_cast<double>(after_kib - before_kib) / static_cast<double>(o.connections));
}

/// A client's scenarios; null where its library has no such feature (reconnection).
struct scenario_set {
  void (*rtt)(const options&) = nullptr;
  void (*inbound)(const options&) = nullptr; ///< also runs heartbeat (the server adds pings)
  void (*outbound)(const options&) = nullptr;
  void (*idle)(const options&) = nullptr;
  void (*reconnect)(const options&) = nullptr;
};

/// Runs the scenario `o` names. Exit status: 0; 2 for an unknown scenario; 3 for one this
/// client does not support.
inline int run(const options& o, const scenario_set& s) {
  void (*scenario)(const options&) = nullptr;
  if (o.scenario == "rtt")
    scenario = s.rtt;
  else if (o.scenario == "inbound" || o.scenario == "heartbeat")
    scenario = s.inbound;
  else if (o.scenario == "outbound")
    scenario = s.outbound;
  else if (o.scenario == "idle")
    scenario = s.idle;
  else if (o.scenario == "reconnect")
    scenario = s.reconnect;
  else
    return 2;
  if (scenario == nullptr)
    return 3;
  scenario(o);
  return 0;
}

} // namespace bench
