"""``colorize-cnn serve``: the HTTP API's answers to good and bad requests (a server in this process,
on 127.0.0.1), and the page itself in a real headless Chromium driven by Selenium."""

import http.client
import io
import json
import os
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from colorize_cnn import color
from colorize_cnn.colorize import colorize, load_colorizer
from colorize_cnn.images import read_gray
from colorize_cnn.app.serve import Server


@pytest.fixture(scope="module")
def bundled():
    return {"unet_hints": load_colorizer("unet_hints"), "unet_photo": load_colorizer("unet_photo")}


def start(colorizers, **options):
    server = Server(("127.0.0.1", 0), colorizers, **options)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server


def stop(server):
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def server(bundled):
    server = start(bundled, max_upload_mb=1, max_photos=3)
    yield server
    stop(server)


def call(server, method, path, body=b"", headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=60)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type"), response.read()
    finally:
        connection.close()


def jpeg_bytes(rgb, quality=92):
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def photo(height=120, width=180, seed=0):
    y, x = np.mgrid[0:height, 0:width]
    rng = np.random.default_rng(seed)
    rgb = np.stack([(x * 255 // width), (y * 255 // height), np.full_like(x, 128)], -1) + rng.integers(0, 20, (height, width, 3))
    return np.clip(rgb, 0, 255).astype(np.uint8)


def open_photo(server, body, name="photo.jpg", screen=20_000):
    status, _, answer = call(server, "POST", f"/api/photos?name={name}&screen={screen}", body)
    return status, json.loads(answer)


def test_a_photo_is_opened_previewed_suggested_and_downloaded_as_the_api_makes_it(server, tmp_path):
    rgb = photo()
    status, facts = open_photo(server, jpeg_bytes(rgb))
    assert status == 200 and facts["was_colour"] and (facts["width"], facts["height"]) == (180, 120)
    assert facts["models"] == ["unet_hints", "unet_photo"] and facts["takes_hints_models"] == ["unet_hints"]
    assert abs(facts["preview_width"] * facts["preview_height"] - 20_000) < 400
    hints = [{"x": 30, "y": 40, "color": "#2050ff"}, {"x": 150, "y": 90, "color": "#ffffff", "radius": 8}]
    status, kind, preview = call(server, "POST", f"/api/photos/{facts['id']}/preview", json.dumps({"hints": hints}))
    assert status == 200 and kind == "image/png"
    assert Image.open(io.BytesIO(preview)).size == (facts["preview_width"], facts["preview_height"])
    status, _, answer = call(server, "POST", f"/api/photos/{facts['id']}/suggest", json.dumps({"x": 30, "y": 40, "k": 4}))
    colours = json.loads(answer)["colours"]
    assert status == 200 and 1 <= len(colours) <= 4 and all(c["color"].startswith("#") for c in colours)
    (tmp_path / "in.jpg").write_bytes(jpeg_bytes(rgb))
    gray = read_gray(tmp_path / "in.jpg").pixels
    for file_format in ("png", "jpeg"):
        status, kind, body = call(server, "POST", f"/api/photos/{facts['id']}/download",
                                  json.dumps({"hints": hints, "format": file_format}))
        assert status == 200 and kind == f"image/{file_format}"
        if file_format == "png":  # the same pixels as colorize() and the command line
            np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(body))), colorize(gray, hints=hints))
    previews = [call(server, "POST", f"/api/photos/{facts['id']}/preview",
                     json.dumps({"model": "unet_photo", "vividness": 0.5, "balance": balance})) for balance in (0, 1)]
    assert [status for status, _, _ in previews] == [200, 200]
    mean_ab = [np.abs(color.rgb_to_lab(np.asarray(Image.open(io.BytesIO(body)), np.float32) / 255)[..., 1:].mean(axis=(0, 1)))
               for _, _, body in previews]
    assert mean_ab[1].max() < min(1.5, mean_ab[0].max())  # at balance 1: no overall cast left


def test_bad_requests_get_a_message_and_a_4xx_never_a_traceback(server):
    _, facts = open_photo(server, jpeg_bytes(photo()))
    preview = f"/api/photos/{facts['id']}/preview"
    cases = [
        (("GET", "/../../etc/passwd"), 404, "nothing here"),
        (("GET", "/%2e%2e/colorize_cnn/serve.py"), 404, "nothing here"),
        (("GET", "/api/photos/nope/gray"), 404, "no longer open"),
        (("POST", preview, b"not json"), 400, "not valid JSON"),
        (("POST", preview, b"[1, 2]"), 400, "JSON object"),
        (("POST", preview, json.dumps({"hints": [{"x": 999, "y": 1, "color": "#fff"}]})), 400, "outside the image"),
        (("POST", preview, json.dumps({"hints": [{"x": 1, "y": 1, "color": "blue"}]})), 400, "colour"),
        (("POST", preview, json.dumps({"hints": [{"x": 1, "y": 1, "color": "#fff"}], "model": "unet_photo"})), 400,
         "takes no hints"),
        (("POST", preview, json.dumps({"vividness": 3})), 400, "vividness"),
        (("POST", preview, json.dumps({"balance": -1})), 400, "balance"),
        (("POST", preview, json.dumps({"model": "resnet"})), 400, "unknown model"),
        (("POST", f"/api/photos/{facts['id']}/download", json.dumps({"format": "gif"})), 400, "png or jpeg"),
        (("POST", "/api/photos?name=x.png", b"\x89PNG\r\n\x1a\n broken"), 415, "'x.png'"),
        (("POST", "/api/photos?name=empty.jpg", b""), 400, "empty"),
        (("POST", "/api/photos/x/y/z", b"{}"), 404, "nothing here"),
    ]
    for request, expected, message in cases:
        status, kind, body = call(server, *request)
        assert status == expected and kind == "application/json", (request, status, body)
        error = json.loads(body)["error"]
        assert message in error and "Traceback" not in error and str(server.folder) not in error, error
    assert call(server, "GET", "/")[0] == 200  # the server is still up


def test_an_upload_over_the_limit_is_refused_before_it_is_read(server):
    connection = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=30)
    try:  # say 5 GB, send nothing: an answer at once means the body was never waited for
        connection.putrequest("POST", "/api/photos?name=big.jpg")
        connection.putheader("Content-Length", str(5 * 2**30))
        connection.endheaders()
        started = time.perf_counter()
        response = connection.getresponse()
        assert response.status == 413 and "limit is 1 MB" in json.loads(response.read())["error"]
        assert time.perf_counter() - started < 10
    finally:
        connection.close()
    connection = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=30)
    try:
        connection.putrequest("POST", "/api/photos")
        connection.endheaders()  # no length at all
        assert connection.getresponse().status == 411
    finally:
        connection.close()


def test_old_photos_are_dropped_and_concurrent_tabs_work(server):
    opened = [open_photo(server, jpeg_bytes(photo(seed=seed)))[1] for seed in range(4)]  # one more than kept
    with ThreadPoolExecutor(3) as pool:

        def previews(facts):
            return [call(server, "POST", f"/api/photos/{facts['id']}/preview",
                         json.dumps({"hints": [{"x": 10 * i, "y": 10, "color": "#ff0000"}]}))[0] for i in range(3)]

        statuses = list(pool.map(previews, opened[1:]))  # three tabs at once
    assert statuses == [[200] * 3] * 3
    assert len(server.photos) == 3  # at most max_photos: the first was dropped
    status, _, body = call(server, "POST", f"/api/photos/{opened[0]['id']}/preview", b"{}")
    assert status == 404 and "open it again" in json.loads(body)["error"]


def test_the_command_line_serves_beyond_this_computer_with_a_token_and_tidies_up_on_sigterm(tmp_path):
    import signal
    import subprocess
    import sys

    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "TMPDIR": str(tmp_path)}  # where its private folder goes
    process = subprocess.Popen([sys.executable, "-m", "colorize_cnn", "serve", "--host", "0.0.0.0", "--port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                               start_new_session=True)
    try:
        line = process.stdout.readline()  # the first line, once it listens
        assert "other computers too" in line and "?token=" in line, line
        assert "anyone who can reach this port" in process.stderr.readline()
        port, token = line.split("http://127.0.0.1:")[1].split("/")[0], line.split("?token=")[1].split()[0]
        assert len(list(tmp_path.glob("colorize-cnn-serve-*"))) == 1
        for headers, expected in (({}, 403), ({"X-Colorize-Token": token}, 200)):  # only with the printed token
            connection = http.client.HTTPConnection("127.0.0.1", int(port), timeout=60)
            connection.request("POST", "/api/photos?screen=5000", body=jpeg_bytes(photo()), headers=headers)
            response = connection.getresponse()
            assert response.status == expected, response.read()
            connection.close()
        busy = subprocess.run([sys.executable, "-m", "colorize_cnn", "serve", "--port", port], capture_output=True,
                              text=True, env=env, timeout=120)
        assert busy.returncode == 1 and "choose another --port" in busy.stderr
        process.send_signal(signal.SIGTERM)  # as a service manager or `kill` ends it
        assert process.wait(timeout=30) == 0
        assert list(tmp_path.glob("colorize-cnn-serve-*")) == []  # the private folder went with it
    finally:
        if process.poll() is None:
            os.killpg(process.pid, 9)
            process.wait(timeout=30)


def test_other_sites_and_host_names_are_refused_and_the_page_cannot_be_framed(server):
    body, port = jpeg_bytes(photo()), server.server_address[1]
    refused = [
        call(server, "POST", "/api/photos?screen=5000", body, {"Origin": "http://evil.example"}),
        call(server, "POST", "/api/photos?screen=5000", body, {"Origin": f"http://localhost:{port + 1}"}),
        call(server, "POST", "/api/photos?screen=5000", body, {"Sec-Fetch-Site": "cross-site"}),
        call(server, "GET", "/", headers={"Host": f"rebound.example:{port}"}),
        call(server, "POST", "/api/photos?screen=5000", body, {"Host": f"rebound.example:{port}"}),
    ]
    assert [status for status, _, _ in refused] == [403] * 5
    messages = [json.loads(answer)["error"] for _, _, answer in refused]
    assert all("another site" in message for message in messages[:3]) and "answers only as" in messages[3]
    for origin in (f"http://127.0.0.1:{port}", None):  # its own page, and a client that is not a browser
        status, _, answer = call(server, "POST", "/api/photos?screen=5000", body,
                                 {"Origin": origin, "Sec-Fetch-Site": "same-origin"} if origin else {})
        assert status == 200, answer
    status, _, _ = call(server, "GET", "/", headers={"Host": f"localhost:{port}"})
    assert status == 200
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("GET", "/")
    response = connection.getresponse()
    response.read()
    connection.close()
    assert response.getheader("X-Frame-Options") == "DENY"
    assert "frame-ancestors 'none'" in response.getheader("Content-Security-Policy")
    assert response.getheader("Server") == "colorize-cnn"  # no Python version


def test_malformed_values_are_a_400_with_a_short_message(server):
    _, facts = open_photo(server, jpeg_bytes(photo()))
    preview = f"/api/photos/{facts['id']}/preview"
    bodies = ["[" * 100_000 + "]" * 100_000, '{"vividness": ' + "9" * 5000 + "}",
              *(json.dumps(body) for body in (
                  {"vividness": "0.5"}, {"vividness": [1]}, {"vividness": True}, {"balance": "x"}, {"balance": []},
                  {"model": [1]}, {"model": {}}, {"hints": 5}, {"hints": True},
                  {"hints": [{"x": 1e300, "y": 1, "color": "#fff"}]},
                  {"hints": [{"x": 1, "y": 1, "color": "#fff", "radius": 1e308}]}))]
    bodies.append('{"hints": [{"x": ' + "1" * 401 + ', "y": 1, "color": "#fff"}]}')  # 10**400, as JSON
    for body in bodies:
        status, kind, answer = call(server, "POST", preview, body.encode())
        assert (status, kind) == (400, "application/json"), (body[:80], status, answer[:300])
        assert len(json.loads(answer)["error"]) < 300


def test_a_server_with_a_token_answers_only_calls_that_carry_it(bundled):
    server = start(bundled, token="s3cret")
    try:
        body = jpeg_bytes(photo())
        assert call(server, "GET", "/")[0] == 200  # the page itself holds nothing private
        status, _, answer = call(server, "POST", "/api/photos?screen=5000", body)
        assert status == 403 and "token" in json.loads(answer)["error"]
        assert call(server, "POST", "/api/photos?screen=5000", body, {"X-Colorize-Token": "wrong"})[0] == 403
        assert call(server, "POST", "/api/photos?screen=5000", body, {"X-Colorize-Token": "s3cret"})[0] == 200
    finally:
        stop(server)


def raw_request(server, data, timeout=30):
    import socket

    with socket.create_connection(("127.0.0.1", server.server_address[1]), timeout=timeout) as connection:
        connection.sendall(data)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer


def test_other_methods_and_malformed_headers_get_a_json_4xx(server):
    status, kind, answer = call(server, "PUT", "/api/photos", b"x")
    assert status == 405 and kind == "application/json" and "not supported" in json.loads(answer)["error"]
    answer = raw_request(server, b"POST /api/photos HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: \xb2\r\n"
                                 b"Connection: close\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 411") and b"Content-Length" in answer.split(b"\r\n\r\n", 1)[1]
    answer = raw_request(server, b"GET / HTTP/1.1 extra\r\n\r\n")  # a malformed request line: the answer is
    assert json.loads(answer)["error"].startswith("Bad request")  # HTTP/0.9's, a body alone


def test_an_idle_connection_is_closed_and_a_burst_of_previews_is_answered(bundled):
    server = start(bundled, idle_seconds=1, max_connections=8)
    try:
        started = time.monotonic()
        assert raw_request(server, b"POST /api/photos HTTP/1.1\r\n") == b""  # half a request, then nothing
        assert time.monotonic() - started < 10
        _, facts = open_photo(server, jpeg_bytes(photo()), screen=10_000)
        with ThreadPoolExecutor(100) as pool:  # 100 at once, 8 served at a time, the rest queued: all answered
            statuses = list(pool.map(lambda i: call(server, "POST", f"/api/photos/{facts['id']}/preview",
                                                    json.dumps({"hints": [{"x": i, "y": 5, "color": "#f00"}]}))[0],
                                     range(100)))
        assert statuses == [200] * 100
    finally:
        stop(server)


def test_idle_connections_hold_at_most_the_connection_bound_and_the_page_is_served_after(bundled):
    import socket

    server = start(bundled, idle_seconds=1, max_connections=2)
    threads = threading.active_count()
    idle = [socket.create_connection(("127.0.0.1", server.server_address[1]), timeout=30) for _ in range(6)]
    try:
        time.sleep(0.5)
        assert threading.active_count() <= threads + 2  # one thread a connection served, no more
        started = time.monotonic()
        status, kind, _ = call(server, "GET", "/")  # waits its turn: two idle ones a second are closed
        assert status == 200 and kind.startswith("text/html") and time.monotonic() - started < 30
    finally:
        for connection in idle:
            connection.close()
        stop(server)


def test_photos_are_kept_within_the_memory_budget_and_one_over_it_is_refused(bundled):
    server = start(bundled, max_memory_mb=0.5)  # a 120 x 180 photo with two 20,000-pixel previews: 0.17 MB
    try:
        opened = [open_photo(server, jpeg_bytes(photo(seed=seed)))[1]["id"] for seed in range(3)]
        assert len(server.photos) == 2  # the oldest was closed to stay within 0.5 MB
        assert call(server, "POST", f"/api/photos/{opened[0]}/preview", b"{}")[0] == 404
        assert call(server, "POST", f"/api/photos/{opened[2]}/preview", b"{}")[0] == 200
        status, facts = open_photo(server, jpeg_bytes(photo(600, 900)), screen=100_000)  # 1.3 MB: never fits
        assert status == 413 and "--max-memory-mb" in facts["error"]
        assert len(server.photos) == 2  # and nothing open was closed for it
    finally:
        stop(server)


@pytest.mark.parametrize("option, value, message", [
    ("--port", "99999", "from 0 to 65535"), ("--port", "-1", "from 0 to 65535"),
    ("--max-photos", "0", "at least one photo"), ("--max-photos", "nan", "at least one photo"),
    ("--max-upload-mb", "-1", "positive number"), ("--max-upload-mb", "inf", "positive number"),
    ("--max-memory-mb", "0", "positive number"),
    ("--token", "", "needs a value"),
])
def test_bad_server_options_are_refused_at_start(option, value, message, capsys):
    from colorize_cnn.app.serve import main

    with pytest.raises(SystemExit) as stopped:
        main([f"{option}={value}"])
    assert stopped.value.code == 2 and message in capsys.readouterr().err


# --- the page in a real browser --------------------------------------------------------------

def chromium_driver(downloads):
    webdriver = pytest.importorskip("selenium.webdriver")
    binary, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if binary is None or driver is None:
        pytest.skip("Debian's chromium and chromium-driver are not installed (.ci/run installs them)")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,800",
                     "--force-device-scale-factor=1", "--disable-gpu"):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    return webdriver.Chrome(service=Service(driver), options=options)


def wait_for(condition, timeout=60, what="the page"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def canvas_pixels(driver):
    data = driver.execute_script("""
        const canvas = document.getElementById('view');
        const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        return [canvas.width, canvas.height, Array.from(pixels)];""")
    width, height, values = data
    return np.array(values, np.uint8).reshape(height, width, 4)[..., :3]


def timings(driver):
    return driver.execute_script("return window.colorizeTimings.length")


@pytest.mark.slow
def test_the_page_in_a_real_browser(bundled, tmp_path):
    from skimage import data
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    shots = Path(os.environ.get("COLORIZE_CNN_SCREENSHOTS", tmp_path / "screenshots"))
    shots.mkdir(parents=True, exist_ok=True)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    rgb = data.chelsea()
    (tmp_path / "cat.jpg").write_bytes(jpeg_bytes(rgb, 95))
    (tmp_path / "broken.jpg").write_bytes(jpeg_bytes(rgb)[:300])
    server = start(bundled, token="from-the-url")  # as beyond this computer: the page sends the URL's token
    driver = chromium_driver(downloads)
    try:
        driver.get(f"http://127.0.0.1:{server.server_address[1]}/?token=from-the-url")
        driver.find_element(By.ID, "photo-file").send_keys(str(tmp_path / "cat.jpg"))
        wait_for(lambda: timings(driver) >= 1, what="the automatic result")
        assert "turned to gray first" in wait_for(lambda: "451 x 300" in driver.find_element(By.ID, "status").text
                                                  and driver.find_element(By.ID, "status").text)
        before = canvas_pixels(driver).astype(np.float32)
        height, width = before.shape[:2]
        canvas = driver.find_element(By.ID, "view")
        box = canvas.rect
        # a click on the cat's fur at x = 150, y = 200 of the photo (the canvas is its preview, maybe scaled)
        offset_x = 150 / 451 * box["width"] - box["width"] / 2
        offset_y = 200 / 300 * box["height"] - box["height"] / 2
        ActionChains(driver).move_to_element_with_offset(canvas, offset_x, offset_y).click().perform()
        wait_for(lambda: timings(driver) >= 2, what="the preview after a click")
        hints = driver.execute_script("return state.hints")
        assert len(hints) == 1 and abs(hints[0]["x"] - 150) <= 4 and abs(hints[0]["y"] - 200) <= 4, hints  # 1% of a side
        top = wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, "#suggestions button"), what="suggested colours")[0]
        assert hints[0]["color"] == top.get_attribute("title").split()[0] != "#808080"  # starts at the top suggestion
        count = timings(driver)
        driver.execute_script("""const input = document.querySelector('#hints input[type=color]');
            input.value = '#2050ff'; input.dispatchEvent(new Event('input'));""")
        wait_for(lambda: timings(driver) > count and not driver.execute_script("return state.inFlight"),
                 what="the preview after a colour")
        driver.find_element(By.ID, "show-gray").click()  # the dots are not drawn over the gray view
        driver.find_element(By.ID, "show-gray").click()
        after = canvas_pixels(driver).astype(np.float32)
        driver.save_screenshot(str(shots / "serve-hint.png"))
        target = color.rgb_to_lab(np.array([[[0x20, 0x50, 0xff]]], np.float32) / 255)[0, 0, 1:]
        row, column = round(200 / 300 * height), round(150 / 451 * width)
        ring = (slice(row - 12, row + 13), slice(column - 12, column + 13))  # around the dot
        near_before = color.rgb_to_lab(before[ring] / 255)[..., 1:]
        near_after = color.rgb_to_lab(after[ring] / 255)[..., 1:]
        assert np.linalg.norm(near_after - target, axis=-1).mean() < 0.7 * np.linalg.norm(near_before - target, axis=-1).mean()
        far = (slice(0, height // 5), slice(width - width // 5, width))  # the top right corner
        moved_far = np.abs(color.rgb_to_lab(after[far] / 255)[..., 1:] - color.rgb_to_lab(before[far] / 255)[..., 1:]).mean()
        assert moved_far < 3.0, moved_far  # the wall behind the cat, another segment: within a few ab units

        # the full-size download is colorize()'s result with the same hints
        driver.find_element(By.ID, "download-png").click()
        result = wait_for(lambda: (downloads / "colorized.png").is_file() and downloads / "colorized.png",
                          what="the download")
        time.sleep(0.5)  # Chromium renames the finished file into place
        hints = driver.execute_script("return state.hints")
        gray = read_gray(tmp_path / "cat.jpg").pixels
        np.testing.assert_array_equal(np.asarray(Image.open(result)), colorize(gray, hints=hints))

        # hints saved as JSON load back; Ctrl+Z undoes the last change
        driver.find_element(By.ID, "save-hints").click()
        saved = wait_for(lambda: (downloads / "hints.json").is_file() and downloads / "hints.json", what="hints.json")
        time.sleep(0.3)
        assert json.loads(saved.read_text()) == hints
        driver.find_element(By.ID, "clear-hints").click()
        wait_for(lambda: driver.execute_script("return state.hints.length") == 0)
        driver.find_element(By.ID, "hints-file").send_keys(str(saved))
        wait_for(lambda: driver.execute_script("return state.hints") == hints, what="the loaded hints")
        canvas.click()  # one more hint, then undone
        wait_for(lambda: driver.execute_script("return state.hints.length") == 2)
        ActionChains(driver).key_down(Keys.CONTROL).send_keys("z").key_up(Keys.CONTROL).perform()
        wait_for(lambda: driver.execute_script("return state.hints") == hints, what="the undo")
        labels = driver.execute_script("return [...document.querySelectorAll('input, select, canvas')]"
                                       ".filter(e => !e.labels?.length && !e.getAttribute('aria-label')).map(e => e.id)")
        assert labels == [], "every control has a label"
        driver.save_screenshot(str(shots / "serve-page.png"))
        report = {"click_to_preview_ms": driver.execute_script("return window.colorizeTimings"),
                  "download_ms": driver.execute_script("return window.lastDownloadMs")}
        (tmp_path / "timings.json").write_text(json.dumps(report))
        print("page timings (ms):", report)

        # a broken file: a message in the page, and the server goes on
        driver.find_element(By.ID, "photo-file").send_keys(str(tmp_path / "broken.jpg"))
        message = wait_for(lambda: driver.execute_script(  # class and text read together
            "const s = document.getElementById('status'); return s.classList.contains('error') && s.textContent"),
            what="the error message")
        assert "broken.jpg" in message and "truncated or corrupt" in message
    finally:
        driver.quit()
        stop(server)
