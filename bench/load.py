"""Load generators for ``bench/http.py``: wrk when installed, a small Python one otherwise.

Both keep ``CONNECTIONS`` keep-alive connections busy on loopback for a bounded time and
report requests per second, p50, p99 and the answers that were not 2xx/3xx. With a
``rate``, each connection waits between its requests so that all of them together send
about that many per second (closed loop: a slow answer delays the next request).
"""

from __future__ import annotations

import http.client
import re
import statistics
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass

CONNECTIONS = 8


@dataclass(frozen=True)
class Result:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def _lua(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def wrk_script(target, delay_ms: float | None) -> str:
    lines = [f"wrk.method = {_lua(target.method)}"]
    for name, value in (target.headers or {}).items():
        lines.append(f"wrk.headers[{_lua(name)}] = {_lua(value)}")
    if target.body is not None:
        lines.append(f"wrk.body = {_lua(target.body)}")
    paths = target.paths or [target.path]
    lines.append("local paths = {" + ", ".join(_lua(p) for p in paths) + "}")
    lines.append("local n = 0")
    lines.append("request = function()")
    lines.append("  n = n % #paths + 1")
    lines.append("  return wrk.format(nil, paths[n])")
    lines.append("end")
    if delay_ms is not None:
        lines.append(f"delay = function() return {delay_ms:.3f} end")
    return "\n".join(lines) + "\n"


UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str, out: str) -> float:
    found = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if found is None:
        raise RuntimeError(f"wrk printed a latency this cannot read ({text!r}):\n{out}")
    return float(found.group(1)) * UNITS_MS[found.group(2)]


def run_wrk(port: int, target, seconds: int, delay_ms: float | None) -> Result:
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(wrk_script(target, delay_ms))
        script.flush()
        command = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency"]
        command += ["-s", script.name, f"http://127.0.0.1:{port}"]
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = _ms(re.search(r"^\s*50%\s+(\S+)", out, re.M).group(1), out)
    p99 = _ms(re.search(r"^\s*99%\s+(\S+)", out, re.M).group(1), out)
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return Result(rps, p50, p99, errors + (int(non_2xx.group(1)) if non_2xx else 0))


def run_python(port: int, target, seconds: int, delay_ms: float | None) -> Result:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds
    paths = target.paths or [target.path]
    body = target.body.encode() if target.body is not None else None

    def connection_loop(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        n = index
        while time.monotonic() < stop:
            n += 1
            started = time.perf_counter()
            try:
                conn.request(target.method, paths[n % len(paths)], body, target.headers or {})
                response = conn.getresponse()
                response.read()
                failed = response.status >= 400
            except OSError:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                failed = True
            with lock:
                latencies.append(time.perf_counter() - started)
                errors[0] += failed
            if delay_ms:
                time.sleep(delay_ms / 1000)
        conn.close()

    threads = [threading.Thread(target=connection_loop, args=(i,)) for i in range(CONNECTIONS)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return Result(len(latencies) / elapsed, cuts[49] * 1000, cuts[98] * 1000, errors[0])


def drive(generator: str, port: int, target, seconds: int, rate: float | None = None) -> Result:
    """Load ``target`` for ``seconds``; with ``rate``, at about that many requests per second."""
    delay_ms = None
    if rate is not None:
        # Each connection sends one request per CONNECTIONS / rate seconds, less its answer's
        # time at full load (an over-estimate: lighter load answers sooner, so the rate is
        # a little above the one asked for; the table shows the rate reached).
        full = drive(generator, port, target, 1)
        delay_ms = max(0.0, 1000 * CONNECTIONS / rate - 1000 * CONNECTIONS / full.rps)
    run = run_wrk if generator == "wrk" else run_python
    return run(port, target, seconds, delay_ms)
