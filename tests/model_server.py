"""A real HTTP server on 127.0.0.1 serving an Argos index and `.argosmodel` files.

It speaks enough HTTP/1.1 for the download code to be tested for real:
Content-Length, Range requests (206, or ignored on request), and a
connection that drops part-way through a file a given number of times.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest


class ModelServer:
    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.entries: list[dict] = []
        self.requests: list[str] = []
        self.ranges: list[str] = []
        self.drops: dict[str, int] = {}  # path -> how many more times to drop
        self.drop_at = 0.5  # fraction of the file sent before dropping
        self.ranges_supported = True
        self.status: dict[str, list[int]] = {}  # path -> statuses to answer first
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                path = self.path
                server.requests.append(path)
                if server.status.get(path):
                    code = server.status[path].pop(0)
                    self.send_response(code)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if path == "/index.json":
                    body = json.dumps(server.entries).encode()
                else:
                    body = server.files.get(path)
                if body is None:
                    self.send_error(404)
                    return
                start = 0
                header = self.headers.get("Range")
                if header:
                    server.ranges.append(header)
                if header and server.ranges_supported:
                    start = int(header.split("=")[1].split("-")[0])
                    if start >= len(body):
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{len(body)}")
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
                else:
                    self.send_response(200)
                self.send_header("Content-Length", str(len(body) - start))
                self.end_headers()
                payload = body[start:]
                if server.drops.get(path, 0) > 0:
                    server.drops[path] -= 1
                    self.wfile.write(payload[: int(len(payload) * server.drop_at)])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(payload)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def publish(self, archive: Path, *, code: str = "translate-nb_en", version: str = "0.1") -> str:
        """Serve `archive` and list it in the index (as the only package of its code)."""
        frm, to = code.removeprefix("translate-").split("_", 1)
        name = f"{code}-{version.replace('.', '_')}.argosmodel"
        self.files[f"/{name}"] = Path(archive).read_bytes()
        self.entries = [e for e in self.entries if e["code"] != code] + [
            {
                "package_version": version,
                "argos_version": "1.9.0",
                "from_code": frm,
                "from_name": "Norwegian",
                "to_code": to,
                "to_name": "English",
                "links": [f"{self.base}{name}", "ipfs://Qm-not-used"],
                "code": code,
            }
        ]
        return self.base

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture()
def model_server():
    server = ModelServer()
    yield server
    server.close()
