#!/usr/bin/env python3
"""Photo uploads end to end: a real verdant-server over loopback TLS (Release build, embedded
SQLite), an HQ tablet taking N photos of M MiB through the device SDK and uploading them (tus,
1 MiB chunks), against the same server's raw HTTPS body throughput measured by the same driver;
then the same photos from several tablets at once.

    python3 scripts/bench-photos.py [--photos 100] [--mib 4] [--devices 4] [--large-mib 16]
                                    [--runs 3] [--no-build]

Prints a table (medians over the runs) and writes JSON to bench-results/photos-DATE.json:
upload throughput as a share of the raw throughput, bytes on the wire per photo against its
size, and the server's peak resident memory during the uploads, for photos of M MiB and of
--large-mib MiB (the same total bytes): it must not grow with the size of a blob.
"""

import argparse
import datetime
import importlib.util
import json
import os
import statistics
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_spec = importlib.util.spec_from_file_location("bench_sync", os.path.join(ROOT, "scripts",
                                                                          "bench-sync.py"))
bench_sync = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_sync)
PASSWORD = "photo-benchmark-password"


def build():
    bench_sync.build_targets("verdant_photo_bench")


def driver(command, server, work, **options):
    return bench_sync.bench_driver("verdant_photo_bench", command, server, work, PASSWORD, "--tenant", "acme",
                                   "--user", "hq", **options)


def measured(server, action):
    """The action's result with the server's peak resident memory while it ran (MiB)."""
    server.reset_peak()
    result = action()
    result["server_peak_rss_mib"] = server.status_kib("VmHWM") / 1024
    return result


def run(args):
    with tempfile.TemporaryDirectory(prefix="verdant-photos-") as work:
        server = bench_sync.Server(work)
        server.admin("create-tenant", "--slug=acme", "--name=Photo benchmark")
        server.admin("create-user", "--tenant=acme", "--username=hq", "--role=hq_reviewer",
                     password=PASSWORD)
        server.start()
        try:
            raw = measured(server, lambda: driver("raw", server, work, photos=args.photos,
                                                  mib=args.mib))
            photos = measured(server, lambda: driver("photos", server, os.path.join(work, "a"),
                                                     photos=args.photos, mib=args.mib))
            devices = measured(server, lambda: driver("photos", server, os.path.join(work, "d"),
                                                      photos=args.photos, mib=args.mib,
                                                      devices=args.devices))
            large_count = max(1, args.photos * args.mib // args.large_mib)
            large = measured(server, lambda: driver("photos", server, os.path.join(work, "b"),
                                                    photos=large_count, mib=args.large_mib))
            return {"raw": raw, "photos": photos, "devices": devices, "large": large}
        finally:
            server.stop()


def median(results, phase, key):
    return statistics.median(r[phase][key] for r in results)


def summarise(results, args):
    size = args.mib << 20
    raw = median(results, "raw", "mib_per_second")
    photos = median(results, "photos", "mib_per_second")
    wire_per_photo = median(results, "photos", "bytes_up") / args.photos
    return {
        "raw_mib_per_second": raw,
        "upload_mib_per_second": photos,
        "share_of_raw": photos / raw,
        "devices_mib_per_second": median(results, "devices", "mib_per_second"),
        "devices_share_of_raw": median(results, "devices", "mib_per_second") / raw,
        "wire_bytes_per_photo": wire_per_photo,
        "wire_per_size": wire_per_photo / size,
        "rss_mib": median(results, "photos", "server_peak_rss_mib"),
        "rss_large_mib": median(results, "large", "server_peak_rss_mib"),
        "rss_raw_mib": median(results, "raw", "server_peak_rss_mib"),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--photos", type=int, default=100)
    parser.add_argument("--mib", type=int, default=4)
    parser.add_argument("--large-mib", type=int, default=16)
    parser.add_argument("--devices", type=int, default=4,
                        help="tablets uploading at once in the second photo phase")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-build", action="store_true", help="use the binaries as they are")
    args = parser.parse_args()
    if not args.no_build:
        build()
    results = []
    for i in range(args.runs):
        result = run(args)
        bench_sync.log("run %d: %s" % (i + 1, json.dumps(result)))
        results.append(result)
    summary = summarise(results, args)
    print("| %d photos of %d MiB, loopback TLS (medians of %d runs) | |" %
          (args.photos, args.mib, args.runs))
    print("|---|---:|")
    print("| raw HTTPS body throughput | %.0f MiB/s |" % summary["raw_mib_per_second"])
    print("| photo upload throughput | %.0f MiB/s (%.0f %% of raw) |" %
          (summary["upload_mib_per_second"], 100 * summary["share_of_raw"]))
    print("| the same photos from %d tablets at once | %.0f MiB/s (%.0f %% of raw) |" %
          (args.devices, summary["devices_mib_per_second"],
           100 * summary["devices_share_of_raw"]))
    print("| bytes on the wire per photo (device to server) | %.0f (%.3f x its size) |" %
          (summary["wire_bytes_per_photo"], summary["wire_per_size"]))
    print("| server peak RSS: %d MiB photos; %d MiB photos; raw bodies | %.0f; %.0f; %.0f MiB |" %
          (args.mib, args.large_mib, summary["rss_mib"], summary["rss_large_mib"],
           summary["rss_raw_mib"]))
    os.makedirs(os.path.join(ROOT, "bench-results"), exist_ok=True)
    path = os.path.join(ROOT, "bench-results",
                        "photos-%s.json" % datetime.date.today().isoformat())
    with open(path, "w") as f:
        json.dump({"machine": bench_sync.machine(), "arguments": vars(args), "runs": results,
                   "summary": summary}, f, indent=2)
    bench_sync.log("wrote " + path)


if __name__ == "__main__":
    main()
