#!/usr/bin/env python3
"""The comparison benchmark: zenws against raw Beast and peer libraries, in one run.

One server process (zenws_bench_server) on 127.0.0.1; each client library is its own program
(bench/clients/) that runs one scenario and prints one JSON line. Runs alternate the clients
so that all of them see the same machine state; every figure is the median over the runs,
with the spread (min-max), and the ratio to raw Beast measured in the same run.

    bench/run_bench.py [--quick] [--runs N] [--build-dir DIR] [--out DIR] [--no-plots]

--quick runs every scenario once with small counts (seconds; the CI smoke) and writes nothing
unless --out is given. The full run writes DIR/results.json, DIR/results.md (the tables) and
the PNG plots (gnuplot); the default DIR is docs/benchmarks.

Exit status: 0 when every client ran every scenario it supports; 1 when one failed.
"""
import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# Scenarios of the full run: (name, size, count, connections). Quick counts in QUICK.
FULL = [
    ("rtt", 64, 20000, 0),
    ("rtt", 1024, 20000, 0),
    ("inbound", 64, 1000000, 0),
    ("inbound", 1024, 200000, 0),
    ("outbound", 64, 200000, 0),
    ("heartbeat", 64, 1000000, 0),
    ("reconnect", 0, 200, 0),
    ("idle", 0, 0, 1000),
    ("idle", 0, 0, 10000),
]
QUICK = [
    ("rtt", 64, 1000, 0),
    ("inbound", 64, 20000, 0),
    ("outbound", 64, 5000, 0),
    ("heartbeat", 64, 20000, 0),
    ("reconnect", 0, 10, 0),
    ("idle", 0, 0, 100),
]

# Which clients run which scenarios: the batch variant of zenws only where batches matter,
# reconnection only where the library reconnects (Beast's figure is the hand-made floor).
CLIENTS = ["beast", "zenws", "zenws-batch", "websocketpp", "libwebsockets", "node-ws",
           "python-websockets"]
ONLY = {
    "zenws-batch": {"inbound", "heartbeat"},
    "reconnect": {"beast", "zenws"},
}
# python-websockets would take minutes for the big counts: it runs a tenth of them.
SLOW = {"python-websockets": 10, "node-ws": 2}


def client_command(client, build_dir):
    bench = os.path.join(build_dir, "bench")
    return {
        "beast": [os.path.join(bench, "zenws_bench_client_beast")],
        "zenws": [os.path.join(bench, "zenws_bench_client_zenws")],
        "zenws-batch": [os.path.join(bench, "zenws_bench_client_zenws"), "--batches", "1"],
        "websocketpp": [os.path.join(bench, "zenws_bench_client_websocketpp")],
        "libwebsockets": [os.path.join(bench, "zenws_bench_client_lws")],
        "node-ws": ["node", os.path.join(HERE, "clients", "ws_client.js")],
        "python-websockets": ["/usr/bin/python3", os.path.join(HERE, "clients",
                                                               "websockets_client.py")],
    }[client]


def available(client, build_dir):
    cmd = client_command(client, build_dir)
    exe = cmd[0]
    if os.path.isabs(exe):
        ok = os.access(exe, os.X_OK)
    else:
        ok = shutil.which(exe) is not None
    if ok and client == "node-ws":
        ok = os.path.exists(os.environ.get("ZENWS_NODE_WS", "/usr/share/nodejs/ws"))
    if ok and client == "python-websockets":
        ok = subprocess.run(["/usr/bin/python3", "-c", "import websockets"],
                            capture_output=True).returncode == 0
    return ok


def runs_scenario(client, scenario):
    if scenario in ONLY and client not in ONLY[scenario]:
        return False
    if client in ONLY and scenario not in ONLY[client]:
        return False
    return True


class Server:
    """The benchmark server; its stdout lines (pong reports) are collected."""

    def __init__(self, build_dir):
        exe = os.path.join(build_dir, "bench", "zenws_bench_server")
        self.proc = subprocess.Popen([exe], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True)
        first = self.proc.stdout.readline().split()
        if len(first) != 2 or first[0] != "listening":
            raise RuntimeError("the benchmark server did not start")
        self.port = int(first[1])
        self.lines = []
        self.lock = threading.Lock()
        threading.Thread(target=self._collect, daemon=True).start()

    def _collect(self):
        for line in self.proc.stdout:
            with self.lock:
                self.lines.append(line)

    def take_line(self, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                if self.lines:
                    return self.lines.pop(0)
            time.sleep(0.01)
        return None

    def stop(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


def run_client(client, scenario, size, count, connections, server, build_dir):
    divisor = SLOW.get(client, 1)
    if scenario not in ("idle", "reconnect"):
        count = max(count // divisor, 100)
    cmd = client_command(client, build_dir) + [
        "--port", str(server.port), "--scenario", scenario, "--count", str(count)]
    if size:
        cmd += ["--size", str(size)]
    if scenario == "rtt":
        cmd += ["--warmup", str(max(count // 10, 50))]
    if connections:
        cmd += ["--connections", str(connections)]
    timeout = 600 if connections >= 10000 else 300
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, f"{client} {scenario}: timed out after {timeout} s"
    if proc.returncode != 0 or not proc.stdout.strip():
        return None, (f"{client} {scenario}: exit {proc.returncode}: "
                      f"{proc.stderr.strip()[-500:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["client"] = client
    if scenario == "heartbeat":
        line = server.take_line(5.0)
        if line is None:
            return None, f"{client} heartbeat: the server reported no pongs"
        pongs = json.loads(line)
        result.update({k: pongs[k] for k in ("pongs", "pings", "pong_p50_us", "pong_p99_us",
                                             "pong_max_us")})
    return result, None


def key_of(scenario, size, connections):
    if scenario == "idle":
        return f"idle/{connections}"
    if scenario == "reconnect":
        return "reconnect"
    return f"{scenario}/{size}"


# The figures of each scenario: (field, unit, True when higher is better).
FIGURES = {
    "rtt": [("p50_us", "us", False), ("p99_us", "us", False), ("p999_us", "us", False),
            ("cpu_us_per_msg", "us", False)],
    "inbound": [("msgs_per_s", "msg/s", True), ("cpu_us_per_msg", "us", False)],
    "outbound": [("msgs_per_s", "msg/s", True), ("cpu_us_per_msg", "us", False)],
    "heartbeat": [("pong_p50_us", "us", False), ("pong_p99_us", "us", False),
                  ("msgs_per_s", "msg/s", True)],
    "reconnect": [("p50_us", "us", False), ("p99_us", "us", False)],
    "idle": [("kib_per_connection", "KiB", False)],
}


def summarize(raw):
    """raw: {key: {client: [result, ...]}} -> {key: {client: {field: {median,min,max}}}}"""
    out = {}
    for key, clients in raw.items():
        scenario = key.split("/")[0]
        out[key] = {}
        for client, results in clients.items():
            figures = {}
            for field, unit, _ in FIGURES[scenario]:
                values = [r[field] for r in results if field in r]
                if values:
                    figures[field] = {"median": statistics.median(values), "min": min(values),
                                      "max": max(values), "unit": unit}
            out[key][client] = figures
    return out


def ratio(summary, key, client, field):
    base = summary.get(key, {}).get("beast", {}).get(field)
    mine = summary.get(key, {}).get(client, {}).get(field)
    if not base or not mine or not base["median"]:
        return None
    return mine["median"] / base["median"]


def targets(summary):
    """The issue's targets, each with its measured ratio and whether it is met."""
    checks = []

    def add(name, value, limit, higher_is_better):
        if value is None:
            checks.append({"target": name, "value": None, "met": False})
            return
        met = value >= limit if higher_is_better else value <= limit
        checks.append({"target": name, "value": round(value, 3), "met": met})

    for size in (64, 1024):
        add(f"zenws round trip p50 at {size} B <= 1.25x Beast",
            ratio(summary, f"rtt/{size}", "zenws", "p50_us"), 1.25, False)
        add(f"zenws round trip p99 at {size} B <= 1.5x Beast",
            ratio(summary, f"rtt/{size}", "zenws", "p99_us"), 1.5, False)
    for size in (64, 1024):
        add(f"zenws inbound throughput at {size} B (batches) >= 0.85x Beast",
            ratio(summary, f"inbound/{size}", "zenws-batch", "msgs_per_s"), 0.85, True)
        add(f"zenws inbound throughput at {size} B (per message) >= 0.85x Beast",
            ratio(summary, f"inbound/{size}", "zenws", "msgs_per_s"), 0.85, True)
    idle = summary.get("idle/10000", {}).get("zenws", {}).get("kib_per_connection")
    add("zenws idle connection at 10,000 <= 40 KiB", idle["median"] if idle else None, 40,
        False)
    # Ahead of websocketpp and libwebsockets on every figure they both have.
    for key, clients in summary.items():
        scenario = key.split("/")[0]
        for peer in ("websocketpp", "libwebsockets"):
            if peer not in clients:
                continue
            for field, _, higher in FIGURES[scenario]:
                if field.startswith("cpu"):
                    continue
                best = None
                for zen in ("zenws", "zenws-batch"):
                    mine = clients.get(zen, {}).get(field)
                    if mine and (best is None or
                                 (mine["median"] > best if higher else mine["median"] < best)):
                        best = mine["median"]
                theirs = clients[peer].get(field)
                if best is None or theirs is None:
                    continue
                add(f"zenws ahead of {peer}: {key} {field}",
                    best / theirs["median"] if theirs["median"] else None, 1.0, higher)
    return checks


def fmt(value, unit):
    if unit == "msg/s":
        return f"{value / 1e6:.2f}M" if value >= 1e6 else f"{value / 1e3:.0f}k"
    return f"{value:.1f}" if value < 1000 else f"{value:.0f}"


def markdown(summary, checks, meta):
    lines = [f"Measured {meta['date']} on {meta['machine']}, {meta['runs']} runs "
             "(median, with min-max); ratios are to raw Beast in the same run.", ""]
    for key, clients in summary.items():
        scenario = key.split("/")[0]
        figs = FIGURES[scenario]
        lines.append(f"### {key}")
        lines.append("")
        header = "| client | " + " | ".join(f"{f} ({u})" for f, u, _ in figs) + " | vs Beast |"
        lines.append(header)
        lines.append("|" + "---|" * (len(figs) + 2))
        for client in CLIENTS:
            if client not in clients:
                continue
            cells = []
            for field, unit, _ in figs:
                v = clients[client].get(field)
                cells.append(f"{fmt(v['median'], unit)} ({fmt(v['min'], unit)}-"
                             f"{fmt(v['max'], unit)})" if v else "-")
            r = ratio(summary, key, client, figs[0][0])
            versus = f"{r:.2f}x" if r is not None else "-"
            lines.append(f"| {client} | " + " | ".join(cells) + f" | {versus} |")
        lines.append("")
    lines.append("### Targets")
    lines.append("")
    lines.append("| target | measured | met |")
    lines.append("|---|---|---|")
    for c in checks:
        lines.append(f"| {c['target']} | {c['value'] if c['value'] is not None else '-'} | "
                     f"{'yes' if c['met'] else 'NO'} |")
    return "\n".join(lines) + "\n"


def median_run(results, field):
    ordered = sorted(results, key=lambda r: r.get(field, 0))
    return ordered[len(ordered) // 2]


def distributions(raw):
    """The latency distribution of each client's median run (what the plots show), and the runs
    without theirs: the JSON stays small."""
    dists = {}
    slim = {}
    for key, clients in raw.items():
        for client, results in clients.items():
            if results and "cdf" in results[0]:
                dists.setdefault(key, {})[client] = median_run(results, "p50_us")["cdf"]
            slim.setdefault(key, {})[client] = [
                {k: v for k, v in r.items() if k != "cdf"} for r in results]
    return dists, slim


def plots(raw, summary, out_dir):
    if shutil.which("gnuplot") is None:
        print("gnuplot not found: no plots", file=sys.stderr)
        return
    with tempfile.TemporaryDirectory() as tmp:
        # Latency distributions of the 64 B and 1 KiB round trips.
        for size in (64, 1024):
            key = f"rtt/{size}"
            if key not in raw:
                continue
            series = []
            for client in CLIENTS:
                if client not in raw[key]:
                    continue
                run = median_run(raw[key][client], "p50_us")
                path = os.path.join(tmp, f"{client}-{size}.dat")
                with open(path, "w") as f:
                    for p, us in run["cdf"]:
                        f.write(f"{1 / max(1 - p, 1e-5)} {us}\n")
                series.append(f"'{path}' using 1:2 with lines lw 2 title '{client}'")
            script = f"""
set terminal pngcairo size 900,520 font ',10'
set output '{os.path.join(out_dir, f"rtt-{size}.png")}'
set title 'Echo round trip, {size} B, one message in flight (median run)'
set logscale x
set xtics ('p0' 1, 'p90' 10, 'p99' 100, 'p99.9' 1000, 'p99.99' 10000)
set ylabel 'microseconds'
set logscale y
set grid
set key top left
plot {', '.join(series)}
"""
            subprocess.run(["gnuplot"], input=script, text=True, check=True)
        # Bars: throughput and memory.
        bars = [("inbound/64", "msgs_per_s", "Inbound, 64 B messages (msg/s)", "inbound.png",
                 1e6, "million msg/s"),
                ("outbound/64", "msgs_per_s", "Outbound, 64 B messages (msg/s)", "outbound.png",
                 1e6, "million msg/s"),
                ("idle/10000", "kib_per_connection", "Memory per idle connection, 10,000 open",
                 "memory.png", 1, "KiB")]
        for key, field, title, name, scale, unit in bars:
            if key not in summary:
                continue
            path = os.path.join(tmp, name + ".dat")
            with open(path, "w") as f:
                for client in CLIENTS:
                    v = summary[key].get(client, {}).get(field)
                    if v:
                        f.write(f"\"{client}\" {v['median'] / scale} {v['min'] / scale} "
                                f"{v['max'] / scale}\n")
            script = f"""
set terminal pngcairo size 900,480 font ',10'
set output '{os.path.join(out_dir, name)}'
set title '{title}, median and min-max of the runs'
set style fill solid 0.6
set boxwidth 0.6
set ylabel '{unit}'
set yrange [0:*]
set grid ytics
set xtics rotate by -20
plot '{path}' using 0:2:xtic(1) with boxes notitle, \\
     '' using 0:2:3:4 with yerrorbars lc rgb 'black' pt -1 notitle
"""
            subprocess.run(["gnuplot"], input=script, text=True, check=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--build-dir", default=os.path.join(ROOT, "build"))
    ap.add_argument("--out", default=None)
    ap.add_argument("--no-plots", action="store_true")
    ap.add_argument("--clients", default=",".join(CLIENTS))
    args = ap.parse_args()
    runs = 1 if args.quick else args.runs
    scenarios = QUICK if args.quick else FULL
    out_dir = args.out or (None if args.quick else os.path.join(ROOT, "docs", "benchmarks"))

    # 10,000 connections need 10,000 descriptors in the client and as many in the server.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 65536
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(want, soft), max(want, hard)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    wanted = [c for c in args.clients.split(",") if c]
    clients = [c for c in wanted if available(c, args.build_dir)]
    for c in wanted:
        if c not in clients:
            print(f"skipped {c}: not installed or not built", file=sys.stderr)
    server = Server(args.build_dir)
    raw = {}
    failures = []
    try:
        for run in range(runs):
            order = clients[run % len(clients):] + clients[:run % len(clients)]
            for scenario, size, count, connections in scenarios:
                key = key_of(scenario, size, connections)
                for client in order:
                    if not runs_scenario(client, scenario):
                        continue
                    result, error = run_client(client, scenario, size, count, connections,
                                               server, args.build_dir)
                    if error:
                        failures.append(error)
                        print("FAILED " + error, file=sys.stderr)
                        continue
                    raw.setdefault(key, {}).setdefault(client, []).append(result)
                    main_field = FIGURES[scenario][0][0]
                    print(f"run {run + 1}/{runs} {key:14} {client:18} "
                          f"{main_field}={result.get(main_field)}", flush=True)
    finally:
        server.stop()

    summary = summarize(raw)
    checks = targets(summary)
    meta = {"date": time.strftime("%Y-%m-%d"), "runs": runs,
            "machine": f"{os.cpu_count()} cores, {os.uname().release}", "quick": args.quick}
    table = markdown(summary, checks, meta)
    print()
    print(table)
    if out_dir:
        os.makedirs(out_dir, exist_ok=True)
        dists, slim = distributions(raw)
        with open(os.path.join(out_dir, "results.json"), "w") as f:
            json.dump({"meta": meta, "summary": summary, "targets": checks,
                       "distributions": dists, "runs": slim}, f, indent=1)
        with open(os.path.join(out_dir, "results.md"), "w") as f:
            f.write(table)
        if not args.no_plots:
            plots(raw, summary, out_dir)
    if failures:
        print(f"{len(failures)} client runs failed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
