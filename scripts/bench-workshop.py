#!/usr/bin/env python3
"""A training workshop at two doors, end to end: a real verdant-server over TLS (Release build,
embedded SQLite), the coordinator's office tablet registering N people, the check-in tokens
printed from the server, two door tablets checking everyone in offline (alternately), then both
doors syncing.

    python3 scripts/bench-workshop.py [--people 500] [--runs 3] [--no-build]

Prints a table (medians over the runs) and writes JSON to bench-results/workshop-DATE.json:
doors ready (sign-in and first sync of both), offline check-ins per second (token validated with
the synced public key, then the write), the doors' sync (seconds, request and response bytes),
and how many people the office sees checked in afterwards.
"""

import argparse
import importlib.util
import json
import os
import ssl
import statistics
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_spec = importlib.util.spec_from_file_location("bench_sync", os.path.join(ROOT, "scripts",
                                                                          "bench-sync.py"))
bench_sync = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_sync)
PASSWORD = "workshop-benchmark-password"


def build():
    bench_sync.build_targets("verdant_workshop_bench")


def driver(command, server, work, **options):
    return bench_sync.bench_driver("verdant_workshop_bench", command, server, work, PASSWORD, "--tenant", "acme",
                                   "--user", "coordinator", **options)


def tokens(server, session):
    """The session's check-in tokens, as the coordinator prints them."""
    context = ssl.create_default_context(cafile=server.ca)
    login = urllib.request.Request(
        server.url + "/v1/auth/login", method="POST",
        headers={"Content-Type": "application/json"},
        data=json.dumps({"tenant": "acme", "username": "coordinator",
                         "password": PASSWORD}).encode())
    with urllib.request.urlopen(login, context=context) as answer:
        access = json.load(answer)["access_token"]
    request = urllib.request.Request(server.url + "/v1/training/sessions/%s/tokens" % session,
                                     headers={"Authorization": "Bearer " + access})
    with urllib.request.urlopen(request, context=context) as answer:
        return [entry["token"] for entry in json.load(answer)["tokens"]]


def run(people):
    with tempfile.TemporaryDirectory(prefix="verdant-workshop-") as work:
        server = bench_sync.Server(work)
        server.admin("create-tenant", "--slug=acme", "--name=Workshop benchmark")
        server.admin("create-user", "--tenant=acme", "--username=coordinator",
                     "--role=training_coordinator", password=PASSWORD)
        server.start()
        try:
            session = driver("prepare", server, work, people=people)["session_id"]
            path = os.path.join(work, "tokens.txt")
            with open(path, "w") as f:
                f.write("\n".join(tokens(server, session)) + "\n")
            return driver("doors", server, work, session=session, tokens=path)
        finally:
            server.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-build", action="store_true", help="use the binaries as they are")
    args = parser.parse_args()
    if not args.no_build:
        build()
    results = []
    for i in range(args.runs):
        result = run(args.people)
        bench_sync.log("run %d: %s" % (i + 1, json.dumps(result)))
        results.append(result)
    median = {key: statistics.median(r[key] for r in results) for key in results[0]}
    print("| %d people, two doors (medians of %d) | |" % (args.people, args.runs))
    print("|---|---:|")
    print("| both doors ready (sign-in, first sync) | %.2f s |" % median["doors_ready_seconds"])
    print("| offline check-ins | %.0f /s (%.2f s) |" % (median["check_ins_per_second"],
                                                      median["check_in_seconds"]))
    print("| both doors synced | %.2f s; %d B sent, %d B received |" % (
        median["sync_seconds"], median["sync_request_bytes"], median["sync_response_bytes"]))
    print("| checked in, as the office sees it | %d |" % median["office_checked_in"])
    os.makedirs(os.path.join(ROOT, "bench-results"), exist_ok=True)
    out = os.path.join(ROOT, "bench-results",
                       "workshop-%s.json" % time.strftime("%Y-%m-%d-%H%M%S"))
    with open(out, "w") as f:
        json.dump({"people": args.people, "runs": results, "median": median}, f, indent=1)


if __name__ == "__main__":
    main()
