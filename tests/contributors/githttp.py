"""A git server on loopback: `git http-backend` behind a tiny threaded WSGI server, plus a redirect."""

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from tests import processes


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args) -> None:
        pass


class _Threading(ThreadingMixIn, WSGIServer):
    daemon_threads = True


def git_http_app(root: Path):
    def app(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith("/slow/"):
            time.sleep(4)  # a server that never finishes answering in time
            start_response("404 Not Found", [])
            return [b""]
        if path.startswith("/moved/"):
            start_response("301 Moved Permanently", [("Location", path.removeprefix("/moved"))])
            return [b""]
        cgi = {
            "PATH": os.environ["PATH"],
            "HOME": str(root),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_PROJECT_ROOT": str(root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "PATH_INFO": path,
            "REQUEST_METHOD": environ["REQUEST_METHOD"],
            "QUERY_STRING": environ.get("QUERY_STRING", ""),
            "CONTENT_TYPE": environ.get("CONTENT_TYPE", ""),
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_CONTENT_ENCODING": environ.get("HTTP_CONTENT_ENCODING", ""),
        }
        if environ.get("HTTP_GIT_PROTOCOL"):
            cgi["GIT_PROTOCOL"] = environ["HTTP_GIT_PROTOCOL"]
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        output = processes.run(["git", "http-backend"], input=body, env=cgi, capture_output=True, timeout=60).stdout
        head, _, payload = output.partition(b"\r\n\r\n")
        status, headers = "200 OK", []
        for line in head.decode("latin-1").split("\r\n"):
            name, _, value = line.partition(": ")
            if name.lower() == "status":
                status = value
            elif name:
                headers.append((name, value))
        start_response(status, headers)
        return [payload]

    return app


@contextmanager
def serving_git(root: Path) -> Iterator[str]:
    """Serve the bare repositories under `root`; yields the base URL (http://127.0.0.1:port)."""
    server = make_server("127.0.0.1", 0, git_http_app(root), server_class=_Threading, handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
