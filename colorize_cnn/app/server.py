"""The HTTP server behind ``colorize-cnn serve`` (``colorize_cnn.app.serve``: its command line).

The standard library's threading HTTP server (no dependency, one thread a request) and one page of
our own (``colorize_cnn/web``: HTML, CSS and JavaScript served from the package, nothing fetched
from anywhere else). Each opened photo is a ``ColorizeSession`` held in memory under a random id;
previews are made at the size the page asks for (its screen), the full size only for a download.

HTTP API (every error is JSON ``{"error": message}`` with a 4xx status, never a traceback):

=======  ===============================  ===============================================================
POST     /api/photos?screen=PIXELS          the photo file as the body -> ``{"id", "width", "height",
                                            "preview_width", "preview_height", "was_colour", ...}``
GET      /api/photos/ID/gray                the gray photo at preview size (PNG)
POST     /api/photos/ID/preview             ``{"hints": [...], "vividness": v, "balance": b}`` -> the preview (PNG)
POST     /api/photos/ID/suggest             ``{"x", "y", "hints", "k"}`` -> ``{"colours": [{"color", "probability"}]}``
POST     /api/photos/ID/download            ``{"hints", "vividness", "balance", "format": "png"|"jpeg"}`` -> the file
=======  ===============================  ===============================================================

Only its own page may use the API, as Jupyter's server does: a request whose ``Host`` is not a name
the server listens as (on a loopback address: localhost, 127.0.0.1, [::1]) is refused, and so is an
``/api/`` request from another site (its ``Origin``, or without one ``Sec-Fetch-Site``, not the
server's own), each with a 403; the page cannot be framed. Listening beyond this computer
(``--host 0.0.0.0``) prints a warning and asks every ``/api/`` call for a token (printed in the URL,
kept by the page, sent as ``X-Colorize-Token``; ``--token`` sets it, ``--no-token`` refuses one
knowingly). Idle connections are closed after ``IDLE_SECONDS``, and at most ``MAX_CONNECTIONS`` are
served at once (more wait in the listen queue and are served in turn).

Hints are those of ``colorize_cnn.hints`` (``{"x", "y", "color", "radius"?}`` in the photo's
pixels). Memory stays bounded: an open photo holds its gray pixels and its previews' lightness, not
a full-size float plane (the full size is made for a download only, one at a time); at most
``max_photos`` photos, together at most ``max_memory_mb``, are kept, the least recently used dropped
first (the page says so when it meets one), and a photo larger than the whole budget is refused
(413); an upload over ``max_upload_mb`` is refused from its Content-Length, before it is read.
"""

import http.server
import io
import json
import secrets
import shutil
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

import numpy as np

from colorize_cnn.app.open_photos import MAX_MEMORY_MB, MAX_PHOTOS, OpenPhoto, Photos, RequestError, user_call

WEB_DIR = Path(__file__).resolve().parent / "web"
PAGES = {"/": ("index.html", "text/html; charset=utf-8"), "/app.js": ("app.js", "text/javascript; charset=utf-8"),
         "/style.css": ("style.css", "text/css; charset=utf-8")}  # the only files ever served
DEFAULT_PORT = 8000
MAX_UPLOAD_MB = 100
MAX_CONNECTIONS = 32  # served at once; each is a thread
MAX_JSON_BYTES = 1 << 20
DEFAULT_SCREEN_PIXELS = 1_000_000
SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp", ".gif")
LOOPBACK = ("127.0.0.1", "localhost", "::1")
LOCAL_NAMES = ("127.0.0.1", "localhost", "[::1]")  # Host header forms that always mean this computer
IDLE_SECONDS = 60  # a connection that sends nothing (or half a request) for this long is closed
TOKEN_HEADER = "X-Colorize-Token"
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
                    "Content-Security-Policy": "frame-ancestors 'none'", "Referrer-Policy": "no-referrer"}


def _host_name(host):
    """A ``Host`` header's name without its port, lower case (``[::1]:8000`` -> ``[::1]``)."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[: host.find("]") + 1]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "colorize-cnn"
    protocol_version = "HTTP/1.1"

    def version_string(self):
        return self.server_version  # the Server header names no Python version

    def setup(self):
        self.timeout = self.server.idle_seconds  # StreamRequestHandler sets it on the socket
        super().setup()

    def send_error(self, code, message=None, explain=None):
        """The standard library's own refusals (a malformed request line or header, an unsupported
        method) as JSON, like every other answer; an unsupported method is a 405."""
        if code == 501:
            code, message = 405, f"method {self.command} is not supported here (GET and POST are)."
        body = json.dumps({"error": message or http.HTTPStatus(code).phrase}).encode()
        self.close_connection = True
        try:
            self.send_response(code, None)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            if code == 405:
                self.send_header("Allow", "GET, POST")
            for name, value in SECURITY_HEADERS.items():
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
        except OSError:  # the client has gone
            pass

    def log_message(self, format, *args):  # one line a request on stderr, only with --verbose
        if self.server.verbose:
            super().log_message(format, *args)

    def do_GET(self):
        self._answer(self._get)

    def do_POST(self):
        self._answer(self._post)

    def _answer(self, method):
        self._body_read = False  # one handler serves every request of a kept-alive connection
        try:
            url = urllib.parse.urlsplit(self.path)
            self._check_caller(url)
            status, content_type, body, headers = method(url)
        except RequestError as error:
            status, content_type, headers = error.status, "application/json", {}
            body = json.dumps({"error": str(error)}).encode()
        except Exception as error:  # a bug: logged with its traceback here, a plain message to the page
            import traceback

            traceback.print_exc()
            status, content_type, headers = 500, "application/json", {}
            body = json.dumps({"error": f"the server failed ({type(error).__name__}); see its terminal."}).encode()
        if status >= 400 and self.headers.get("Content-Length") and not self._body_read:
            self.close_connection = True  # an unread body must not be taken for the next request
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            for name, value in {**SECURITY_HEADERS, **headers}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the client left before the answer: nothing to tell
            self.close_connection = True

    def _check_caller(self, url):
        """Refuses (403) another host name, another site's page, and a missing or wrong token."""
        host = self.headers.get("Host", "")
        if self.server.host_names is not None and _host_name(host) not in self.server.host_names:
            raise RequestError(403, f"this server answers only as {', '.join(self.server.host_names)}, not "
                                    f"{host[:80]!r} (a page of another site may be trying to reach it).")
        if not url.path.startswith("/api/"):
            return
        origin = self.headers.get("Origin")
        if origin is not None:
            if urllib.parse.urlsplit(origin).netloc.lower() != host.strip().lower():
                raise RequestError(403, f"requests from another site ({origin[:80]}) are refused; use the page this "
                                        "server serves.")
        elif self.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
            raise RequestError(403, "requests from another site are refused; use the page this server serves.")
        if self.server.token and not secrets.compare_digest(self.headers.get(TOKEN_HEADER, ""), self.server.token):
            raise RequestError(403, "this server asks for its token: open the URL it printed at start "
                                    "(…/?token=…).")

    # --- routes --------------------------------------------------------------------------------

    def _get(self, url):
        if url.path in PAGES:
            name, content_type = PAGES[url.path]
            return 200, content_type, (WEB_DIR / name).read_bytes(), {}
        parts = url.path.strip("/").split("/")
        if len(parts) == 4 and parts[:2] == ["api", "photos"] and parts[3] == "gray":
            session = self.server.photos.get(parts[2]).session(self.server.default_model)
            from colorize_cnn import color

            gray = color.recombine(session.preview_lightness(), np.zeros((1, 1, 2), np.float32), dtype=np.uint8)
            return 200, "image/png", _png(gray), {}
        raise RequestError(404, f"nothing here: {url.path}")

    def _post(self, url):
        parts = url.path.strip("/").split("/")
        if parts == ["api", "photos"]:
            return self._open(urllib.parse.parse_qs(url.query))
        if len(parts) != 4 or parts[:2] != ["api", "photos"]:
            raise RequestError(404, f"nothing here: {url.path}")
        photo = self.server.photos.get(parts[2])
        request = self._json()
        hints, vividness, balance = request.get("hints", []), request.get("vividness"), request.get("balance")
        model = request.get("model")
        model = self.server.default_model if model is None or model == "" else model
        if not isinstance(model, str):
            raise RequestError(400, f"model must be a model's name; this server has {', '.join(self.server.colorizers)}.")
        with photo.lock:
            session, image = photo.session(model), photo.image
            if parts[3] == "preview":
                started = time.perf_counter()
                body = _png(user_call(session.preview, hints, vividness, balance))
                return 200, "image/png", body, {"X-Seconds": f"{time.perf_counter() - started:.4f}"}
            if parts[3] == "suggest":
                colours = user_call(session.suggest_colours, request.get("x"), request.get("y"), request.get("k", 8),
                                     hints)
                return 200, "application/json", json.dumps({"colours": colours}).encode(), {}
            if parts[3] == "download":
                return self._download(session, image, hints, vividness, balance, request.get("format", "png"))
        raise RequestError(404, f"nothing here: {url.path}")

    def _body(self, limit):
        length = self.headers.get("Content-Length")
        if length is None or not (length.isascii() and length.isdigit()):
            raise RequestError(411, "the request must say its length (Content-Length).")
        if int(length) > limit:
            raise RequestError(413, f"the upload is {int(length) / 2**20:.1f} MB; the limit is {limit / 2**20:.0f} MB "
                                    "(start the server with --max-upload-mb to change it).")
        self._body_read = True
        return self.rfile.read(int(length))

    def _json(self):
        try:
            request = json.loads(self._body(MAX_JSON_BYTES) or b"{}")
        except (ValueError, RecursionError):  # not JSON (or not UTF-8), a number of over 4,300 digits, too deep
            raise RequestError(400, "the request is not valid JSON (or nests or a number runs too deep).") from None
        if not isinstance(request, dict):
            raise RequestError(400, "the request must be a JSON object.")
        return request

    def _open(self, query):
        from colorize_cnn.images import ImageError, read_gray

        body = self._body(self.server.max_upload_bytes)
        if not body:
            raise RequestError(400, "the upload is empty: choose a photo file.")
        try:
            screen = int(query.get("screen", [DEFAULT_SCREEN_PIXELS])[0])
        except ValueError:
            raise RequestError(400, "screen must be a whole number of pixels.") from None
        name = query.get("name", ["photo"])[0]
        suffix = Path(name).suffix.lower() if Path(name).suffix.lower() in SUFFIXES else ""
        path = Path(self.server.folder) / (secrets.token_hex(8) + suffix)  # never a name from the request
        with self.server.full_size:
            try:
                path.write_bytes(body)
                del body
                image = read_gray(path)
            except ImageError as error:
                raise RequestError(415, str(error).replace(str(path), f"'{Path(name).name}'")) from None
            finally:
                path.unlink(missing_ok=True)
            photo = OpenPhoto(image, self.server.colorizers, preview_pixels=min(max(screen, 10_000), 16_000_000))
            key = self.server.photos.add(photo)  # before the work: a photo over the budget is refused at once
            session = photo.session(self.server.default_model)
        height, width = image.pixels.shape
        facts = {"id": key, "width": width, "height": height, "preview_width": session.preview_shape[1],
                 "preview_height": session.preview_shape[0], "was_colour": image.was_colour,
                 "bit_depth": image.bit_depth, "model": self.server.default_model,
                 "vividness": session.colorizer.vividness, "balance": session.colorizer.balance,
                 "models": list(self.server.colorizers),
                 "takes_hints_models": [name for name, c in self.server.colorizers.items() if c.takes_hints]}
        return 200, "application/json", json.dumps(facts).encode(), {}

    def _download(self, session, image, hints, vividness, balance, file_format):
        from colorize_cnn.images import Encoding, write_rgb

        suffix = {"png": ".png", "jpeg": ".jpg", "jpg": ".jpg"}.get(str(file_format).lower())
        if suffix is None:
            raise RequestError(400, f"format must be png or jpeg. Received: {file_format!r}")
        path = Path(self.server.folder) / (secrets.token_hex(8) + suffix)
        with self.server.full_size:  # one at a time: the full size takes about 7 bytes a pixel
            rgb = user_call(session.render, hints, vividness, balance)
            try:
                write_rgb(rgb, path, encoding=Encoding(), alpha=image.alpha)
                del rgb
                body = path.read_bytes()
            finally:
                path.unlink(missing_ok=True)
        content_type = "image/png" if suffix == ".png" else "image/jpeg"
        return 200, content_type, body, {"Content-Disposition": f'attachment; filename="colorized{suffix}"'}


def _png(pixels):
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the standard library's 5 resets connections of a burst of previews

    def __init__(self, address, colorizers, max_upload_mb=MAX_UPLOAD_MB, max_photos=MAX_PHOTOS, verbose=False,
                 token=None, idle_seconds=IDLE_SECONDS, max_memory_mb=MAX_MEMORY_MB, max_connections=MAX_CONNECTIONS):
        """``colorizers``: name -> ``Colorizer``, the first the default (a hint model, for hints).
        ``token``: what every ``/api/`` call must send (``TOKEN_HEADER``); None: none asked for."""
        self.folder = tempfile.mkdtemp(prefix="colorize-cnn-serve-")  # private (0700): uploads pass through it
        self._slots, self._closing = threading.BoundedSemaphore(max_connections), False
        super().__init__(address, Handler)  # on failure (a busy port) it calls server_close: the folder goes
        self.colorizers, self.default_model = dict(colorizers), next(iter(colorizers))
        self.photos = Photos(max_photos, int(max_memory_mb * 2**20))
        self.full_size = threading.Lock()  # decoding an upload, making a download: one at a time
        self.max_upload_bytes = int(max_upload_mb * 2**20)
        self.verbose, self.token, self.idle_seconds = verbose, token, idle_seconds
        host = address[0]
        # on a loopback address only this computer's names; beyond it any name (the token guards it)
        self.host_names = LOCAL_NAMES + ((host.lower(),) if host.lower() not in LOCAL_NAMES + ("::1",) else ()) \
            if host in LOOPBACK or host.startswith("127.") else None

    def process_request(self, request, client_address):
        """Serves the connection in a thread once fewer than ``max_connections`` are served; until
        then it waits, and the connections after it wait in the listen queue."""
        while not self._slots.acquire(timeout=0.5):
            if self._closing:
                self.shutdown_request(request)
                return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request, client_address):
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def shutdown(self):
        self._closing = True
        super().shutdown()

    def server_close(self):
        super().server_close()
        shutil.rmtree(self.folder, ignore_errors=True)
