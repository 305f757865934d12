"""The server's open photos: each a ``ColorizeSession`` per model over its gray pixels, kept by
random id within a count and a memory budget (the least recently used closed first)."""

import collections
import secrets
import threading

MAX_PHOTOS = 8
MAX_MEMORY_MB = 2048  # what the open photos may hold together (1 byte a pixel of 8-bit gray: 150 MB at 150 MP)


class RequestError(Exception):
    """A request the server refuses: an HTTP status and a message for the page."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


class OpenPhoto:
    """One uploaded photo: its pixels and facts (``GrayImage``) and a ``ColorizeSession`` per model used."""

    def __init__(self, image, colorizers, preview_pixels):
        self.image, self.colorizers, self.preview_pixels = image, colorizers, preview_pixels
        self.sessions, self.lock = {}, threading.Lock()  # the lock: one request at a time (a session caches)
        # what it may come to hold: the pixels (shared by its sessions) and a float preview per model
        self.nbytes = image.pixels.nbytes + (0 if image.alpha is None else image.alpha.nbytes) + \
            4 * min(preview_pixels, image.pixels.size) * len(colorizers)

    def session(self, model):
        from colorize_cnn.colorize import ColorizeSession

        if model not in self.colorizers:
            raise RequestError(400, f"unknown model {model[:60]!r}; this server has {', '.join(self.colorizers)}.")
        if model not in self.sessions:
            self.sessions[model] = user_call(ColorizeSession, self.image.pixels, self.colorizers[model],
                                              preview_pixels=self.preview_pixels)
        return self.sessions[model]


class Photos:
    """The open photos by random id, the least recently used dropped first beyond ``max_photos`` or
    beyond ``max_bytes`` together."""

    def __init__(self, max_photos=MAX_PHOTOS, max_bytes=MAX_MEMORY_MB * 2**20):
        self.max_photos, self.max_bytes = max_photos, max_bytes
        self._items, self._lock = collections.OrderedDict(), threading.Lock()

    def add(self, photo):
        if photo.nbytes > self.max_bytes:
            raise RequestError(413, f"this photo needs {photo.nbytes / 2**20:,.0f} MB of memory while it is open; "
                                    f"the server keeps at most {self.max_bytes / 2**20:,.0f} MB of photos (start it "
                                    "with --max-memory-mb to change it, or downscale the photo).")
        key = secrets.token_urlsafe(12)
        with self._lock:
            self._items[key] = photo
            while len(self._items) > self.max_photos or self.nbytes() > self.max_bytes:
                self._items.popitem(last=False)
        return key

    def nbytes(self):
        return sum(photo.nbytes for photo in self._items.values())

    def get(self, key):
        with self._lock:
            if key not in self._items:
                raise RequestError(404, "this photo is no longer open on the server (it was closed to free memory, or "
                                        "the server was restarted): open it again.")
            self._items.move_to_end(key)
            return self._items[key]

    def __len__(self):
        return len(self._items)


def user_call(function, *args, **kwargs):
    """``function(...)``, with the package's ``UserError`` (a bad hint, vividness, image) as a 400."""
    from colorize_cnn.errors import UserError

    try:
        return function(*args, **kwargs)
    except UserError as error:
        raise RequestError(400, str(error)) from None
