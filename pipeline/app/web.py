"""`fer-web`: a small web page to drop photos on and see each face boxed with its emotion probabilities.

A standard-library HTTP server (no web framework) over EmotionRecognizer, on 127.0.0.1 by default:

    fer-web [--port 8000] [--host 127.0.0.1] [--model PATH] [--fast] [--detector mtcnn|haar] [--views ...]

GET /            the page (pipeline/app/static/index.html)
GET /api/info    the model's classes and card figures
POST /api/predict  body = one encoded image (jpeg, png, ...) -> {"width", "height", "faces": [...]}
"""

import argparse
import json
import sys
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from pipeline.core.cli import run_stage
from pipeline.core.errors import PipelineError

from .bundle import card_summary
from .images import decode

PAGE = Path(__file__).resolve().parent / "static" / "index.html"
MAX_BYTES = 25 * 1024 * 1024  # one photo


def make_server(recognizer, host: str = "127.0.0.1", port: int = 8000) -> ThreadingHTTPServer:
    """The server (not started: call serve_forever); port 0 picks a free port (server.server_port)."""
    lock = threading.Lock()  # one prediction at a time: the model and the detectors are shared
    page = PAGE.read_bytes()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, fmt, *args):  # quiet: one line per request is noise for a local page
            pass

        def send(self, status: int, body: bytes, kind: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def send_json(self, status: int, data: dict) -> None:
            self.send(status, json.dumps(data).encode())

        def do_GET(self):
            if self.path in ("/", "/index.html"):
                self.send(HTTPStatus.OK, page, "text/html; charset=utf-8")
            elif self.path == "/api/info":
                info = {"classes": recognizer.classes, **card_summary(recognizer.info)}
                self.send_json(HTTPStatus.OK, info)
            else:
                self.send_json(HTTPStatus.NOT_FOUND, {"error": f"no such page: {self.path}"})

        def do_POST(self):
            if self.path != "/api/predict":
                self.send_json(HTTPStatus.NOT_FOUND, {"error": f"no such endpoint: {self.path}"})
                return
            length = int(self.headers.get("Content-Length") or 0)
            if not 0 < length <= MAX_BYTES:
                self.send_json(HTTPStatus.BAD_REQUEST,
                               {"error": f"send one image of 1 byte to {MAX_BYTES} bytes"})
                return
            bgr = decode(self.rfile.read(length))
            if bgr is None:
                self.send_json(HTTPStatus.BAD_REQUEST, {"error": "not an image this server can read"})
                return
            try:
                with lock:
                    faces = recognizer.predict(bgr)
            except PipelineError as exc:
                self.send_json(HTTPStatus.BAD_REQUEST, {"error": str(exc)})
                return
            self.send_json(HTTPStatus.OK, {"width": int(bgr.shape[1]), "height": int(bgr.shape[0]),
                                           "classes": recognizer.classes,
                                           "faces": [f.to_dict() for f in faces]})

    return ThreadingHTTPServer((host, port), Handler)


def web_command(argv=None):
    from .recognizer import EmotionRecognizer

    parser = argparse.ArgumentParser(prog="fer-web", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default %(default)s: "
                                                             "this machine only)")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--model", type=Path, default=None, help="default: the bundled model")
    parser.add_argument("--detector", choices=("mtcnn", "haar"), default=None)
    parser.add_argument("--views", choices=("model", "flip", "centre"), default=None)
    parser.add_argument("--fast", action="store_true", help="views centre, detect side 256, no photo border")
    args = parser.parse_args(argv)
    recognizer = EmotionRecognizer(args.model, detector=args.detector, views=args.views, fast=args.fast)
    try:
        server = make_server(recognizer, args.host, args.port)
    except OSError as exc:
        raise PipelineError(f"cannot listen on {args.host}:{args.port} ({exc.strerror or exc})") from None
    print(f"fer-web: open http://{args.host}:{server.server_port}/ (Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("fer-web: stopped", file=sys.stderr)
    finally:
        server.server_close()


def main(argv=None):
    """Console entry point (`fer-web`)."""
    run_stage(web_command, argv, name="fer-web")


if __name__ == "__main__":
    main()
