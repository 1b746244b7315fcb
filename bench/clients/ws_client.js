// node's ws (Debian's node-ws), the non-C++ reference: same scenarios and output as the C++
// clients (bench/clients/common.hpp).
//
//   node ws_client.js --port P --scenario rtt|inbound|outbound|idle|heartbeat [--size B]
//                     [--count N] [--warmup N] [--connections N]
'use strict';

const WebSocket = require(process.env.ZENWS_NODE_WS || '/usr/share/nodejs/ws');

function parse(argv) {
  const o = { scenario: 'rtt', port: 0, size: 64, count: 10000, warmup: 1000, connections: 1000 };
  for (let i = 2; i + 1 < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    if (!(key in o)) {
      console.error(`unknown option ${argv[i]}`);
      process.exit(2);
    }
    o[key] = key === 'scenario' ? argv[i + 1] : Number(argv[i + 1]);
  }
  return o;
}

function target(o) {
  switch (o.scenario) {
    case 'rtt': return '/echo';
    case 'inbound': return `/push?count=${o.count}&size=${o.size}`;
    case 'heartbeat': return `/push?count=${o.count}&size=${o.size}&ping_every=100`;
    case 'outbound': return `/sink?count=${o.count}`;
    default: return '/idle';
  }
}

const cpuUs = () => { const u = process.cpuUsage(); return u.user + u.system; };
const rssKib = () => Math.round(process.memoryUsage().rss / 1024);
const now = () => process.hrtime.bigint();

function printLatencies(o, samplesNs, cpu) {
  const s = Float64Array.from(samplesNs, (x) => Number(x) / 1000).sort();
  const at = (p) => s[Math.floor(p * (s.length - 1))];
  const cdf = [];
  for (let i = 0; i < 200; ++i) {
    const p = 1 - Math.pow(10, (-4 * i) / 199);
    cdf.push([Number(p.toFixed(6)), Number(at(p).toFixed(2))]);
  }
  console.log(JSON.stringify({
    client: 'node-ws', scenario: o.scenario, size: o.size, count: s.length,
    p50_us: at(0.5), p99_us: at(0.99), p999_us: at(0.999), max_us: at(1),
    cpu_us_per_msg: cpu / s.length, cdf,
  }));
}

function printThroughput(o, delivered, elapsedNs, cpu) {
  const secs = Number(elapsedNs) / 1e9;
  console.log(JSON.stringify({
    client: 'node-ws', scenario: o.scenario, size: o.size, count: o.count, delivered,
    seconds: secs, msgs_per_s: delivered / secs, mib_per_s: (delivered * o.size) / secs / 1048576,
    cpu_us_per_msg: cpu / delivered,
  }));
}

function open(o) {
  const ws = new WebSocket(`ws://127.0.0.1:${o.port}${target(o)}`, { perMessageDeflate: false });
  ws.on('error', (e) => { console.error(`node-ws: ${e.message}`); process.exit(1); });
  return ws;
}

function rtt(o) {
  const ws = open(o);
  const message = 'x'.repeat(o.size);
  const samples = [];
  let remaining = o.warmup + o.count;
  let start = 0n;
  let cpu = 0;
  const send = () => { start = now(); ws.send(message); };
  ws.on('open', () => { cpu = cpuUs(); send(); });
  ws.on('message', () => {
    const elapsed = now() - start;
    if (remaining === o.count) cpu = cpuUs();
    if (remaining <= o.count) samples.push(elapsed);
    if (--remaining > 0) return send();
    printLatencies(o, samples, cpuUs() - cpu);
    ws.close();
  });
}

function inbound(o) {
  const ws = open(o);
  let delivered = 0;
  let bytes = 0;
  let start = 0n;
  let cpu = 0;
  ws.on('open', () => { cpu = cpuUs(); start = now(); ws.send('go'); });
  ws.on('message', (data) => {
    if (data.length === 4 && data.toString() === 'done') {
      const elapsed = now() - start;
      if (bytes !== delivered * o.size) console.error(`node-ws: ${bytes} bytes for ${delivered}`);
      printThroughput(o, delivered, elapsed, cpuUs() - cpu);
      return ws.close();
    }
    bytes += data.length;
    ++delivered;
  });
}

function outbound(o) {
  const ws = open(o);
  const message = 'x'.repeat(o.size);
  let start = 0n;
  let cpu = 0;
  ws.on('open', () => {
    cpu = cpuUs();
    start = now();
    for (let i = 0; i < o.count; ++i) ws.send(message);
  });
  ws.on('message', () => {
    printThroughput(o, o.count, now() - start, cpuUs() - cpu);
    ws.close();
  });
}

// Warm-up first: one connection, then the measured ones (see print_memory in common.hpp).
function idle(o) {
  const warmUp = open(o);
  warmUp.on('open', () => idleMeasured(o, warmUp));
}

function idleMeasured(o, warmUp) {
  if (global.gc) global.gc();
  const before = rssKib();
  const sockets = [warmUp];
  let ready = 0;
  for (let i = 0; i < o.connections; ++i) {
    const ws = open(o);
    sockets.push(ws);
    ws.on('open', () => {
      if (++ready < o.connections) return;
      if (global.gc) global.gc();
      const after = rssKib();
      console.log(JSON.stringify({
        client: 'node-ws', scenario: 'idle', connections: o.connections, rss_before_kib: before,
        rss_after_kib: after, kib_per_connection: (after - before) / o.connections,
      }));
      for (const s of sockets) s.terminate();
    });
  }
}

const o = parse(process.argv);
if (!o.port) {
  console.error('usage: node ws_client.js --port P --scenario S ...');
  process.exit(2);
}
const scenarios = { rtt, inbound, heartbeat: inbound, outbound, idle };
if (!(o.scenario in scenarios)) process.exit(3);
scenarios[o.scenario](o);
