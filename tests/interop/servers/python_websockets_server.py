#!/usr/bin/env python3
"""An independent server for the interop tests: Python's websockets (Debian's python3-websockets).

    python_websockets_server.py [--no-compression]

Listens on 127.0.0.1 on a free port and prints "listening PORT"; stops when stdin closes.
Echoes every message as it came (text as text, binary as binary); a text message starting with
"!" is a command instead:

    !close CODE REASON     close the connection with CODE and REASON
    !fragments N TEXT      send TEXT as one message in N fragments
    !ping PAYLOAD          send a ping with PAYLOAD; when its pong came, the text "pong PAYLOAD"
    !subprotocol           send the negotiated subprotocol, or "none"
    !compression           send "deflate" when permessage-deflate is on, else "none"

Subprotocols offered: zenws.v2 (preferred) and zenws.v1.
"""
import asyncio
import sys

import websockets


def split(text, n):
    size = max(1, -(-len(text) // n))
    return [text[i:i + size] for i in range(0, len(text), size)]


async def command(ws, line):
    name, _, rest = line.partition(" ")
    if name == "close":
        code, _, reason = rest.partition(" ")
        await ws.close(int(code), reason)
    elif name == "fragments":
        count, _, text = rest.partition(" ")
        await ws.send(split(text, int(count)))
    elif name == "ping":
        pong = await ws.ping(rest)
        await asyncio.wait_for(pong, 5)
        await ws.send("pong " + rest)
    elif name == "subprotocol":
        await ws.send(ws.subprotocol or "none")
    elif name == "compression":
        deflate = any(e.name == "permessage-deflate" for e in ws.extensions)
        await ws.send("deflate" if deflate else "none")
    else:
        await ws.send("unknown command " + name)


async def handler(ws, path=None):
    try:
        async for message in ws:
            if isinstance(message, str) and message.startswith("!"):
                await command(ws, message[1:])
            else:
                await ws.send(message)
    except websockets.ConnectionClosed:
        pass


async def main():
    compression = None if "--no-compression" in sys.argv else "deflate"
    async with websockets.serve(handler, "127.0.0.1", 0, compression=compression,
                                subprotocols=["zenws.v2", "zenws.v1"],
                                max_size=64 << 20, max_queue=64, ping_interval=None) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"listening {port}", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


if __name__ == "__main__":
    asyncio.run(main())
