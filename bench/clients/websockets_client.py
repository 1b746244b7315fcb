#!/usr/bin/env python3
"""Python's websockets (Debian's python3-websockets) on asyncio, a non-C++ reference: same
scenarios and output as the C++ clients (bench/clients/common.hpp).

    websockets_client.py --port P --scenario rtt|inbound|outbound|idle|heartbeat [--size B]
                         [--count N] [--warmup N] [--connections N]
"""
import argparse
import asyncio
import json
import resource
import sys
import time

import websockets


def target(o):
    return {
        "rtt": "/echo",
        "inbound": f"/push?count={o.count}&size={o.size}",
        "heartbeat": f"/push?count={o.count}&size={o.size}&ping_every=100",
        "outbound": f"/sink?count={o.count}",
    }.get(o.scenario, "/idle")


def cpu_us():
    u = resource.getrusage(resource.RUSAGE_SELF)
    return (u.ru_utime + u.ru_stime) * 1e6


def rss_kib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def connect(o):
    return websockets.connect(f"ws://127.0.0.1:{o.port}{target(o)}", compression=None,
                              max_size=64 << 20, ping_interval=None)


def print_latencies(o, samples_ns, cpu):
    s = sorted(x / 1000 for x in samples_ns)
    at = lambda p: s[int(p * (len(s) - 1))]
    cdf = [[round(1 - 10 ** (-4 * i / 199), 6), round(at(1 - 10 ** (-4 * i / 199)), 2)]
           for i in range(200)]
    print(json.dumps({"client": "python-websockets", "scenario": o.scenario, "size": o.size,
                      "count": len(s), "p50_us": at(0.5), "p99_us": at(0.99),
                      "p999_us": at(0.999), "max_us": at(1.0), "cpu_us_per_msg": cpu / len(s),
                      "cdf": cdf}))


def print_throughput(o, delivered, elapsed_ns, cpu):
    secs = elapsed_ns / 1e9
    print(json.dumps({"client": "python-websockets", "scenario": o.scenario, "size": o.size,
                      "count": o.count, "delivered": delivered, "seconds": secs,
                      "msgs_per_s": delivered / secs,
                      "mib_per_s": delivered * o.size / secs / 1048576,
                      "cpu_us_per_msg": cpu / delivered}))


async def rtt(o):
    message = "x" * o.size
    samples = []
    async with connect(o) as ws:
        cpu = cpu_us()
        for i in range(o.warmup + o.count):
            if i == o.warmup:
                cpu = cpu_us()
            start = time.perf_counter_ns()
            await ws.send(message)
            await ws.recv()
            if i >= o.warmup:
                samples.append(time.perf_counter_ns() - start)
        print_latencies(o, samples, cpu_us() - cpu)


async def inbound(o):
    delivered = 0
    size = 0
    async with connect(o) as ws:
        cpu = cpu_us()
        start = time.perf_counter_ns()
        await ws.send("go")
        while True:
            data = await ws.recv()
            if data == "done":
                break
            size += len(data)
            delivered += 1
        elapsed = time.perf_counter_ns() - start
        if size != delivered * o.size:
            print(f"python-websockets: {size} bytes for {delivered}", file=sys.stderr)
        print_throughput(o, delivered, elapsed, cpu_us() - cpu)


async def outbound(o):
    message = "x" * o.size
    async with connect(o) as ws:
        cpu = cpu_us()
        start = time.perf_counter_ns()
        for _ in range(o.count):
            await ws.send(message)
        await ws.recv()
        print_throughput(o, o.count, time.perf_counter_ns() - start, cpu_us() - cpu)


async def idle(o):
    # Warm-up first: one connection, then the measured ones (see print_memory in common.hpp).
    warm_up = await connect(o)
    before = rss_kib()
    sockets = await asyncio.gather(*(connect(o) for _ in range(o.connections)))
    after = rss_kib()
    print(json.dumps({"client": "python-websockets", "scenario": "idle",
                      "connections": o.connections, "rss_before_kib": before,
                      "rss_after_kib": after,
                      "kib_per_connection": (after - before) / o.connections}))
    await asyncio.gather(*(s.close() for s in sockets + [warm_up]))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--scenario", default="rtt")
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--count", type=int, default=10000)
    p.add_argument("--warmup", type=int, default=1000)
    p.add_argument("--connections", type=int, default=1000)
    o = p.parse_args()
    scenarios = {"rtt": rtt, "inbound": inbound, "heartbeat": inbound, "outbound": outbound,
                 "idle": idle}
    if o.scenario not in scenarios:
        sys.exit(3)
    asyncio.run(scenarios[o.scenario](o))


if __name__ == "__main__":
    main()
