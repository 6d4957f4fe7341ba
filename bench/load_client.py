"""The load bench's virtual users: an HTTP client that signs in and keeps its cookies, the
fields a browser would post from a page's form, and a recorder of each request's time and
outcome (bench/load.py)."""

from __future__ import annotations

import http.client
import re
import threading
import time
from collections import Counter, defaultdict
from html.parser import HTMLParser
from urllib.parse import urlencode

PASSWORD = "b12demo"


class Form(HTMLParser):
    """The fields of the first form with a POST method, with the values a browser would send."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self.depth = 0
        self.select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method", "").lower() == "post":
            self.depth += 1
        if not self.depth or not a.get("name"):
            first = self.select and self.select not in self.fields and a.get("value")
            if tag == "option" and first:
                self.fields[self.select] = a["value"]  # type: ignore[index]
            return
        name = a["name"]
        if tag == "input":
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a or (kind == "radio" and name not in self.fields):
                    self.fields[name] = a.get("value", "on")
            elif kind not in ("submit", "button"):
                self.fields[name] = a.get("value", "")
        elif tag == "textarea":
            self.fields[name] = ""
        elif tag == "select":
            self.select = name

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self.depth:
            self.depth = 0
        if tag == "select":
            self.select = None


def form_fields(html: str) -> dict[str, str]:
    parser = Form()
    parser.feed(html)
    return parser.fields


class User:
    def __init__(self, port: int, username: str) -> None:
        self.port = port
        self.username = username
        self.cookies: dict[str, str] = {}
        self.conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, form: dict[str, str] | None = None):
        headers = {
            "Host": "localhost",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": "192.0.2.10",  # as the one trusted proxy appends it
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
        }
        body = None
        if form is not None:
            body = urlencode({**form, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")})
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = "https://localhost/"
            headers["Origin"] = "https://localhost"
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                content = response.read()
                break
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
        return response.status, response.getheader("Location", ""), content

    def sign_in(self) -> None:
        self.request("GET", "/accounts/login/")
        status, _, _ = self.request(
            "POST", "/accounts/login/", {"username": self.username, "password": PASSWORD}
        )
        assert status == 302, f"{self.username} could not sign in ({status})"


class Recorder:
    def __init__(self) -> None:
        self.times: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.why: dict[str, int] = defaultdict(int)  # what the page said, for each error
        # Refused because another virtual user recorded the same dose or record first: the
        # app's own check at work, counted apart from errors.
        self.raced: dict[str, int] = defaultdict(int)
        self.lock = threading.Lock()
        self.client_cpu = 0.0  # this tool's own CPU seconds: it runs on the same cores
        self.cpu: Counter[str] = Counter()  # by process group, while the step ran

    def timed(self, user: User, label: str, method: str, path: str, form=None, ok=(200,)):
        started = time.perf_counter()
        try:
            status, where, body = user.request(method, path, form)
        except Exception:
            status, where, body = 0, "", b""
        elapsed = time.perf_counter() - started
        with self.lock:
            self.times[label].append(elapsed)
            if status not in ok:
                why = reason(body)
                if status == 200 and RACED.search(why):
                    self.raced[label] += 1
                else:
                    self.errors[label] += 1
                    self.why[f"{label}: {status} {why}"] += 1
        return status, where, body


RACED = re.compile(r"already recorded as given by|has already been corrected")
REFUSAL = re.compile(
    r'class="[^"]*(?:invalid-feedback|alert-danger)[^"]*"[^>]*>(.{0,400}?)</(?:span|div|li)', re.S
)


def reason(body: bytes) -> str:
    """The first error message a form page shows, so an error can be told from a refusal."""
    found = REFUSAL.search(body.decode(errors="replace"))
    return re.sub(r"<[^>]+>|\s+", " ", found.group(1)).strip()[:160] if found else ""
