"""``colorize-cnn serve``: a local web page to colorize a photo and correct it with clicks. The
command line: its options, checked at start, the models, and the server's life (``server``)."""

import argparse
import secrets
import signal
import sys
from pathlib import Path

from colorize_cnn.app.console import EXIT_FAILED, EXIT_OK, error, quiet_tensorflow_start
from colorize_cnn.app.server import DEFAULT_PORT, LOOPBACK, MAX_MEMORY_MB, MAX_PHOTOS, MAX_UPLOAD_MB, Server

PROGRAM = "colorize-cnn serve"


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _port(text):
    if not (text.isascii() and text.isdigit()) or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"a port is a whole number from 0 to 65535, not {text[:20]!r}")
    return int(text)


def _positive_megabytes(text):
    import math

    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"a limit in megabytes is a positive number, not {text[:20]!r}")
    return value


def _at_least_one(text):
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise argparse.ArgumentTypeError(f"at least one photo must stay open: a whole number from 1, not {text[:20]!r}")
    return int(text)


def build_parser():
    parser = argparse.ArgumentParser(prog="colorize-cnn serve", description="A local web page to colorize a photo "
                                     "and correct its colours with clicks (hints).")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s, this "
                        "computer only; 0.0.0.0 lets other computers in)")
    parser.add_argument("--port", type=_port, default=DEFAULT_PORT, help="0 to 65535 (default: %(default)s; 0: any "
                        "free port)")
    parser.add_argument("--model", default=None, help="the model (default: the bundled hint model); the bundled "
                        "automatic model is offered beside it")
    parser.add_argument("--open", action="store_true", help="open the page in the web browser")
    parser.add_argument("--max-upload-mb", type=_positive_megabytes, default=MAX_UPLOAD_MB, help="default: %(default)s")
    parser.add_argument("--max-photos", type=_at_least_one, default=MAX_PHOTOS, help="photos kept open at once, the "
                        "least recently used closed first (default: %(default)s)")
    parser.add_argument("--max-memory-mb", type=_positive_megabytes, default=MAX_MEMORY_MB, help="memory the open "
                        "photos may hold together, the least recently used closed first (default: %(default)s)")
    parser.add_argument("--token", default=None, help="the token the page must send (default: a random one when "
                        "--host is not this computer's, none otherwise)")
    parser.add_argument("--no-token", action="store_true", help="serve other computers without a token: anyone who "
                        "can reach the port can use the server")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.token is not None and (args.no_token or not args.token.strip()):
        parser.error("--token needs a value, and contradicts --no-token; choose one.")
    local = args.host in LOOPBACK or args.host.startswith("127.")
    token = args.token or (None if local or args.no_token else secrets.token_urlsafe(24))
    from colorize_cnn.colorizer import ModelLoadError, default_model, load_colorizer

    # the hint model for hints, and the automatic model offered beside it unless --model names another
    names = [args.model or default_model(hints=True)]
    if args.model in (None, default_model(hints=True)):
        names.append(default_model(hints=False))
    try:
        with quiet_tensorflow_start():
            colorizers = {Path(colorizer.name).stem: colorizer for colorizer in map(load_colorizer, names)}
    except ModelLoadError as problem:
        error(PROGRAM, problem)
        return EXIT_FAILED
    try:
        server = Server((args.host, args.port), colorizers, args.max_upload_mb, args.max_photos, args.verbose, token,
                        max_memory_mb=args.max_memory_mb)
    except OSError as problem:
        error(PROGRAM, f"cannot listen on {args.host}:{args.port} ({problem.strerror or problem}); choose another "
                       "--port.")
        return EXIT_FAILED
    host, port = server.server_address[:2]
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::', '') else host}:{port}/" + \
        (f"?token={token}" if token else "")
    who = "this computer only" if local else "other computers too"
    print(f"colorize-cnn serve: {url} (listening on {host}:{port}: {who}; models {', '.join(colorizers)}). "
          "Ctrl+C stops it.", flush=True)
    if not local:
        print("colorize-cnn serve: warning: anyone who can reach this port can use the server"
              + (" if they have the token in the URL above." if token else " (--no-token): no token is asked for."),
              file=sys.stderr, flush=True)
    if args.open:
        import webbrowser

        webbrowser.open(url)
    signal.signal(signal.SIGTERM, _interrupt)  # ended by a service manager or `kill`: tidy up as Ctrl+C does
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("colorize-cnn serve: stopped.", file=sys.stderr)
    finally:
        server.server_close()
    return EXIT_OK
