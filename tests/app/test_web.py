"""fer-web: the HTTP API on 127.0.0.1, the console command, and the page end to end in headless Chromium
(skipped, with the reason, where Chromium, its driver or selenium is missing)."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path

import cv2
import pytest
from skimage import data as skdata

from pipeline.app import web
from pipeline.app.recognizer import EmotionRecognizer

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def server(carried_model):
    srv = web.make_server(EmotionRecognizer(carried_model), "127.0.0.1", 0)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()
    srv.server_close()


def jpeg() -> bytes:
    return cv2.imencode(".jpg", cv2.cvtColor(skdata.astronaut(), cv2.COLOR_RGB2BGR))[1].tobytes()


def post(url: str, body: bytes):
    request = urllib.request.Request(url, data=body, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_the_page_and_the_api(server):
    with urllib.request.urlopen(server + "/", timeout=30) as r:
        assert r.status == 200 and b"Drop photos here" in r.read()
    with urllib.request.urlopen(server + "/api/info", timeout=30) as r:
        info = json.loads(r.read())
    assert len(info["classes"]) == 7 and info["dataset"] == "fer2013"
    status, data = post(server + "/api/predict", jpeg())
    assert status == 200 and (data["width"], data["height"]) == (512, 512) and data["faces"]
    face = data["faces"][0]
    assert set(face) == {"box", "score", "emotion", "probabilities"}
    assert sum(face["probabilities"].values()) == pytest.approx(1.0, abs=1e-4)
    assert post(server + "/api/predict", b"not an image") == (400, {"error": "not an image this server can "
                                                                                "read"})
    assert post(server + "/api/nothing", b"x")[0] == 404


def test_a_taken_port_is_one_error_line(carried_model, capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        with pytest.raises(SystemExit) as exc:
            web.main(["--port", str(s.getsockname()[1]), "--model", str(carried_model)])
    assert exc.value.code == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: cannot listen on 127.0.0.1:") and "\n" not in err


def browser():
    """(chromium, chromedriver) paths, or a reason to skip."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return None, "selenium is not installed (pip install selenium)"
    chromium = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")
                     if shutil.which(n)), None)
    driver = shutil.which("chromedriver")
    if not chromium or not driver:
        return None, "no Chromium and chromedriver here (apt-get install chromium chromium-driver)"
    return (chromium, driver), None


def start_fer_web(model: Path) -> tuple[subprocess.Popen, str]:
    """`fer-web --port 0` (the console command's module) in a subprocess; its URL from the first line."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}
    proc = subprocess.Popen([sys.executable, "-m", "pipeline.app.web", "--port", "0", "--model", str(model)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    line = []
    reader = threading.Thread(target=lambda: line.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(120)
    if not line or "http://127.0.0.1:" not in line[0]:
        proc.kill()
        pytest.fail(f"fer-web did not start: {line}")
    return proc, line[0].split("open ")[1].split()[0]


def test_the_page_in_a_real_headless_browser(carried_model, tmp_path):
    paths, reason = browser()
    if paths is None:
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    (tmp_path / "astronaut.jpg").write_bytes(jpeg())
    (tmp_path / "notes.jpg").write_text("not a photo")
    proc, url = start_fer_web(carried_model)
    options = webdriver.ChromeOptions()
    options.binary_location = paths[0]
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=paths[1]), options=options)
    try:
        driver.set_page_load_timeout(60)
        driver.get(url)
        wait = WebDriverWait(driver, 90)
        wait.until(lambda d: "classes angry" in d.find_element(By.ID, "model").text)  # /api/info answered
        driver.find_element(By.ID, "files").send_keys(f"{tmp_path / 'astronaut.jpg'}\n"
                                                      f"{tmp_path / 'notes.jpg'}")
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".photo")) == 2
                   and d.find_element(By.ID, "status").get_attribute("data-pending") == "0")
        photos = {p.find_element(By.TAG_NAME, "h3").text: p
                  for p in driver.find_elements(By.CSS_SELECTOR, ".photo")}
        faces = photos["astronaut.jpg"].find_elements(By.CSS_SELECTOR, ".face")
        assert faces and photos["astronaut.jpg"].get_attribute("data-faces") == str(len(faces))
        probs = json.loads(faces[0].get_attribute("data-probabilities"))
        assert sum(probs.values()) == pytest.approx(1.0, abs=1e-3)
        assert faces[0].get_attribute("data-emotion") == max(probs, key=probs.get)
        assert faces[0].get_attribute("data-emotion") in faces[0].text
        # the box is drawn on the photo: green pixels on the canvas
        green = driver.execute_script(
            "const c = document.querySelector('.photo canvas'); const d = c.getContext('2d')"
            ".getImageData(0, 0, c.width, c.height).data; let n = 0;"
            "for (let i = 0; i < d.length; i += 4) if (d[i+1] > 180 && d[i] < 80 && d[i+2] > 100) n++;"
            "return n;")
        assert green > 100
        assert "Error:" in photos["notes.jpg"].find_element(By.CSS_SELECTOR, ".error").text
    finally:
        driver.quit()
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
