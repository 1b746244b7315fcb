// An independent server for the interop tests: node's ws (Debian's node-ws).
//
//   node node_ws_server.js [--no-compression]
//
// Listens on 127.0.0.1 on a free port and prints "listening PORT"; stops when stdin closes.
// Echoes every message as it came; a text message starting with "!" is a command, the same set
// as python_websockets_server.py: close CODE REASON, fragments N TEXT, ping PAYLOAD,
// subprotocol, compression. Subprotocols offered: zenws.v2 (preferred) and zenws.v1.
'use strict';

let ws;
try {
  ws = require('ws');
} catch (e) {
  ws = require('/usr/share/nodejs/ws');
}

const compression = !process.argv.includes('--no-compression');

function split(text, n) {
  const size = Math.max(1, Math.ceil(text.length / n));
  const parts = [];
  for (let i = 0; i < text.length; i += size) parts.push(text.slice(i, i + size));
  return parts;
}

function command(socket, line) {
  const space = line.indexOf(' ');
  const name = space < 0 ? line : line.slice(0, space);
  const rest = space < 0 ? '' : line.slice(space + 1);
  if (name === 'close') {
    const at = rest.indexOf(' ');
    socket.close(Number(at < 0 ? rest : rest.slice(0, at)), at < 0 ? '' : rest.slice(at + 1));
  } else if (name === 'fragments') {
    const at = rest.indexOf(' ');
    const parts = split(rest.slice(at + 1), Number(rest.slice(0, at)));
    parts.forEach((part, i) => socket.send(part, { fin: i === parts.length - 1 }));
  } else if (name === 'ping') {
    socket.once('pong', (data) => socket.send('pong ' + data.toString()));
    socket.ping(rest);
  } else if (name === 'subprotocol') {
    socket.send(socket.protocol || 'none');
  } else if (name === 'compression') {
    socket.send(socket.extensions.includes('permessage-deflate') ? 'deflate' : 'none');
  } else {
    socket.send('unknown command ' + name);
  }
}

const server = new ws.WebSocketServer({
  host: '127.0.0.1',
  port: 0,
  perMessageDeflate: compression,
  maxPayload: 64 << 20,
  handleProtocols: (protocols) => {
    for (const p of ['zenws.v2', 'zenws.v1']) if (protocols.has(p)) return p;
    return false;
  },
});

server.on('listening', () => console.log('listening ' + server.address().port));
server.on('connection', (socket) => {
  socket.on('message', (data, isBinary) => {
    if (!isBinary && data.length > 0 && data[0] === 0x21) command(socket, data.toString().slice(1));
    else socket.send(data, { binary: isBinary });
  });
});

process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
