"""An app served by uvicorn on a loopback port in a thread, for tests that need a real server:
raw sockets, timeouts, or URLs exactly as a client sends them (Starlette's TestClient decodes a
path's percent escapes twice, so an ID holding "%2F" would reach the app as "/")."""

import socket
import threading
import time
from contextlib import contextmanager


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def live_server(app):
    """Yields the port of a running server for `app` (its lifespan run), stopped after."""
    import uvicorn
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 60
    while not server.started:
        assert time.time() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.05)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(10)
