#!/usr/bin/env python3
"""bench/http_load.py -- load for the web board (buurtd --http).

usage: http_load.py URL [--clients N] [--seconds S] [--paths P1,P2,...]

N clients (threads, default 30), each on its own kept-alive HTTP/1.1
connection (opened again when the server closes it), fetch the paths in
turn (default "/") for S seconds (default 30). Prints one JSON object:
requests, requests per second, latency p50/p99/max in ms, non-200
answers, connection errors. Python threads share one interpreter lock:
the client itself caps the rate near a few thousand requests a second,
far above the 200 a second the board must serve.
"""
import argparse
import http.client
import json
import threading
import time
import urllib.parse


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("--clients", type=int, default=30)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--paths", default="/")
    a = ap.parse_args()
    u = urllib.parse.urlsplit(a.url)
    paths = a.paths.split(",")
    lat, bad, errors, lock = [], [0], [0], threading.Lock()
    end = time.monotonic() + a.seconds

    def client(k):
        conn, mine, nbad, nerr, i = None, [], 0, 0, k
        while time.monotonic() < end:
            if conn is None:
                conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
            p = paths[i % len(paths)]
            i += 1
            t0 = time.monotonic()
            try:
                conn.request("GET", p)
                r = conn.getresponse()
                r.read()
                mine.append(time.monotonic() - t0)
                if r.status != 200:
                    nbad += 1
                if r.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException):
                nerr += 1
                conn.close()
                conn = None
        with lock:
            lat.extend(mine)
            bad[0] += nbad
            errors[0] += nerr

    t0 = time.monotonic()
    ts = [threading.Thread(target=client, args=(k,)) for k in range(a.clients)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    el = time.monotonic() - t0
    lat.sort()

    def pct(q):
        return round(1000 * lat[min(len(lat) - 1, int(q * len(lat)))], 2) if lat else -1

    print(json.dumps({"clients": a.clients, "seconds": round(el, 2), "requests": len(lat),
                      "rps": round(len(lat) / el, 1), "p50_ms": pct(0.50), "p99_ms": pct(0.99),
                      "max_ms": round(1000 * lat[-1], 2) if lat else -1, "non_200": bad[0],
                      "errors": errors[0]}))


if __name__ == "__main__":
    main()
