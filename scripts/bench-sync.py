#!/usr/bin/env python3
"""End-to-end sync benchmark: a real verdant-server over TLS, SDK devices and the verdant CLI.

Builds the Release binaries (`bench` preset), then for each store size N (default 10,000 and
100,000 answer records of 7 fields) starts verdant-server on a free loopback port with a fresh
data directory and freshly made development certificates, sets tenants and users up with
`verdant-server admin`, and measures:

  push        records/s of N answers pushed by 1 device, then by 8 devices at once
              (build/bench/bench/verdant_sync_bench: SDK devices, binary bodies; the server's
              store is durable as always). The answers fill N/100 audits of a 100-question
              checklist (the demo template's questions, repeated); every pushing expert has all
              of these audits in scope (the single expert is their assignee; the 8 are on every
              audit's team), so 1 and 8 devices differ in concurrency only.
  pull        `verdant pull` of the N answers into a fresh HQ device (whole-tenant replica),
              end to end as a process
  changed     `verdant pull` on that device after an expert changed 1,000 answers
  audits      `verdant audits --json` on that device
  expert      the single device's expert (N/100 assigned audits: 1,000 at N = 100,000) on a
              fresh device: `verdant pull`, then again with nothing new (caught up)
  bytes       request bodies per pushed record (as the SDK sent them) and pull response bodies
              per record (as the server sent them, gzipped when it chose to: its request log)
  disk        server store (the tenant's directory) and device store (its data directory) per
              answer record, after the process closed them (WAL checkpointed)
  rss         the server's peak resident memory (VmHWM) in each phase and over the run

Each figure is the median of --runs runs (default 3); a phase stops repeating once it has used
--phase-budget seconds, and a single command is stopped after --command-timeout seconds (the
run then records "timed_out"). Results go to bench-results/sync-<date>.json, and a markdown
table to stdout. The method, the machine and the figures are in docs/benchmarks.md.

    scripts/bench-sync.py                  # full run (10k and 100k)
    scripts/bench-sync.py --quick          # smoke run: 2,000 records, 200 changed

Linux only (reads /proc). Needs cmake, a C++ toolchain, openssl and python3.
"""

import argparse
import datetime
import json
import os
import platform
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build", "bench")
SERVER = os.path.join(BUILD, "server", "verdant-server")
CLI = os.path.join(BUILD, "client-sdk", "verdant")
DRIVER = os.path.join(BUILD, "bench", "verdant_sync_bench")
TEMPLATE = os.path.join(ROOT, "server", "audit", "demo", "template-gsc-environment-v1.json")

# The PouchDB 9 / pouchdb-server 4.2 column of the table (100,000 answers, same machine).
POUCHDB = {
    "push": "5.2k", "initial_pull": "14.9 s", "changed_pull": "0.22 s", "rss": "224 MiB",
    "expert": "—", "audits": "—", "bytes": "419; 77", "disk": "—",
}


def log(message):
    print("[bench-sync] " + message, file=sys.stderr, flush=True)


def build_targets(*targets):
    """Builds verdant-server and `targets` with the Release `bench` preset."""
    log("building Release binaries (cmake --preset bench)")
    subprocess.run(["cmake", "--preset", "bench"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["cmake", "--build", "--preset", "bench", "--parallel", str(os.cpu_count()),
                    "--target", "verdant-server", *targets],
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL)


def build():
    build_targets("verdant", "verdant_sync_bench")


def bench_driver(program, command, server, work, password, *fixed, **options):
    """Runs a benchmark driver of build/bench/bench against `server` with the password on stdin;
    its JSON output. Options become --name value (underscores as dashes)."""
    arguments = [os.path.join(BUILD, "bench", program), command, "--server", server.url,
                 "--ca", server.ca, "--work", work, *fixed]
    for name, value in options.items():
        arguments += ["--" + name.replace("_", "-"), str(value)]
    done = subprocess.run(arguments, input=password + "\n", text=True, capture_output=True)
    if done.returncode != 0:
        sys.exit("%s %s failed: %s" % (program, command, done.stderr.strip()))
    return json.loads(done.stdout)


class Server:
    """A verdant-server process on a free loopback port; its resident memory and CPU time."""

    def __init__(self, work):
        self.certs = os.path.join(work, "certs")
        self.data = os.path.join(work, "data")
        self.log_path = os.path.join(work, "server.log")
        self.ca = os.path.join(self.certs, "ca.pem")
        subprocess.run([os.path.join(ROOT, "certs", "make-dev-certs.sh"), self.certs],
                       check=True, stdout=subprocess.DEVNULL)
        self.process = None
        self.url = None

    def admin(self, *arguments, password=None):
        done = subprocess.run([SERVER, "admin", *arguments, "--data-dir=" + self.data],
                              input=(password + "\n") if password else "", text=True,
                              check=True, capture_output=True)
        return done.stdout

    def start(self):
        port_file = os.path.join(os.path.dirname(self.data), "port")
        if os.path.exists(port_file):
            os.remove(port_file)
        with open(self.log_path, "a") as server_log:
            self.process = subprocess.Popen(
                [SERVER, "--data-dir=" + self.data,
                 "--tls-cert=" + os.path.join(self.certs, "server.pem"),
                 "--tls-key=" + os.path.join(self.certs, "server.key"),
                 "--port=0", "--port-file=" + port_file],
                stdout=subprocess.DEVNULL, stderr=server_log)
        for _ in range(400):
            if os.path.exists(port_file) and os.path.getsize(port_file) > 0:
                with open(port_file) as f:
                    self.url = "https://localhost:%d" % int(f.read())
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        sys.exit("verdant-server did not start; see " + self.log_path)

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def status_kib(self, key):
        with open("/proc/%d/status" % self.process.pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
        return 0

    def reset_peak(self):
        """Resets VmHWM to the current resident size (Linux clear_refs 5)."""
        with open("/proc/%d/clear_refs" % self.process.pid, "w") as f:
            f.write("5")

    def cpu_seconds(self):
        with open("/proc/%d/stat" % self.process.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def log_offset(self):
        return os.path.getsize(self.log_path)

    def response_bytes(self, since, path):
        """Sum of response body bytes the server logged for `path` after log offset `since`."""
        total, requests = 0, 0
        pattern = re.compile(r" path=(\S+) status=\d+ bytes=(\d+) ")
        with open(self.log_path, "rb") as f:
            f.seek(since)
            for line in f.read().decode("utf-8", "replace").splitlines():
                match = pattern.search(line)
                if match and match.group(1) == path:
                    total += int(match.group(2))
                    requests += 1
        return total, requests


class Phases:
    """Per-phase server peak memory and CPU time. A phase may span several server processes
    (one per push run): its peak is the highest, its CPU and wall times the sums."""

    def __init__(self, server):
        self.server = server
        self.results = {}

    def begin(self, name):
        self.server.reset_peak()
        self.name, self.cpu, self.started = name, self.server.cpu_seconds(), time.monotonic()

    def end(self):
        entry = self.results.setdefault(self.name, {"server_peak_rss_mib": 0.0,
                                                    "server_cpu_seconds": 0.0,
                                                    "wall_seconds": 0.0})
        entry["server_peak_rss_mib"] = max(entry["server_peak_rss_mib"],
                                           round(self.server.status_kib("VmHWM") / 1024, 1))
        entry["server_cpu_seconds"] = round(
            entry["server_cpu_seconds"] + self.server.cpu_seconds() - self.cpu, 2)
        entry["wall_seconds"] = round(
            entry["wall_seconds"] + time.monotonic() - self.started, 2)
        # Other work on the machine skews every figure: the 1-minute load average says how much.
        entry["load_average_1min"] = max(entry.get("load_average_1min", 0.0),
                                         round(os.getloadavg()[0], 2))


def write_checklist(path, questions):
    """The demo template with its sections repeated until it has `questions` questions (the
    copies' ids prefixed "2/", "3/"...): a checklist as long as real supplier audits use."""
    with open(TEMPLATE) as f:
        template = json.load(f)
    sections, copy, count = [], 1, 0
    while count < questions:
        for section in template["sections"]:
            section = json.loads(json.dumps(section))
            for question in section["questions"]:
                if copy > 1:
                    question["id"] = "%d/%s" % (copy, question["id"])
            count += len(section["questions"])
            sections.append(section)
        copy += 1
    template["sections"] = sections
    template["version"] = 1
    with open(path, "w") as f:
        json.dump(template, f, ensure_ascii=False)


def run_driver(server, command, work, tenant, password, **options):
    return bench_driver("verdant_sync_bench", command, server, work, password, "--tenant", tenant,
                        "--template", server.checklist, **options)


def cli(server, data_dir, *arguments, password=None, timeout=None):
    """Runs the verdant CLI; returns (seconds, parsed JSON or None, timed out)."""
    env = dict(os.environ, VERDANT_DATA_DIR=data_dir, VERDANT_CA=server.ca,
               VERDANT_SERVER=server.url)
    env.pop("VERDANT_PASSWORD", None)
    started = time.monotonic()
    try:
        done = subprocess.run([CLI, *arguments, "--json"], env=env, capture_output=True,
                              input=(password + "\n") if password else "", text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return time.monotonic() - started, None, True
    seconds = time.monotonic() - started
    if done.returncode != 0:
        sys.exit("verdant %s failed (%d): %s %s" % (arguments[0], done.returncode,
                                                     done.stdout.strip(), done.stderr.strip()))
    return seconds, json.loads(done.stdout), False


def login(server, data_dir, tenant, user, password):
    cli(server, data_dir, "login", "--tenant", tenant, "--user", user, "--password-stdin",
        password=password)


def repeat(runs, budget, action):
    """Calls action(run) up to `runs` times, stopping once `budget` seconds are used."""
    results, started = [], time.monotonic()
    for run in range(runs):
        if run > 0 and time.monotonic() - started > budget:
            log("  phase budget used: %d of %d runs" % (run, runs))
            break
        results.append(action(run))
        if results[-1].get("timed_out"):
            break
    return results


def median_of(results, key):
    values = [r[key] for r in results if not r.get("timed_out")]
    return statistics.median(values) if values else None


def stopped(results):
    """Whether a run of the phase was stopped at the command timeout."""
    return any(r.get("timed_out") for r in results)


def timed_out(what, seconds):
    log("  %s: stopped after %.0f s" % (what, seconds))
    return {"timed_out": True, "seconds": seconds}


def directory_bytes(path):
    total = 0
    for folder, _, files in os.walk(path):
        for name in files:
            total += os.path.getsize(os.path.join(folder, name))
    return total


def tenant_id(created):
    match = re.search(r"\(([0-9a-f-]+)\)", created)
    return match.group(1)


def set_up_accounts(server, password, runs, devices):
    """Tenants p1-rI (1 device) and p8-rI (8 devices) for each push run."""
    tenants = {}
    names = ["p1-r%d" % r for r in range(runs)] + ["p%d-r%d" % (devices, r) for r in range(runs)]
    for slug in names:
        tenants[slug] = tenant_id(server.admin("create-tenant", "--slug=" + slug,
                                               "--name=Benchmark " + slug))
        server.admin("create-user", "--tenant=" + slug, "--username=hq", "--role=hq_reviewer",
                     password=password)
        for e in range(1, devices + 1):
            server.admin("create-user", "--tenant=" + slug, "--username=e%d" % e,
                         "--role=field_expert", password=password)
    return tenants


def push_phase(server, work, password, args, records, devices, phases):
    """Each run pushes into its own tenant on a server process of its own, so that no run
    finds another's tenant open (each open tenant store keeps its own page cache)."""
    def once(run):
        tenant = "p%d-r%d" % (devices, run)
        server.start()
        phases.begin("push_%d_device%s" % (devices, "" if devices == 1 else "s"))
        result = run_driver(server, "push", os.path.join(work, tenant), tenant, password,
                            hq="hq", experts=",".join("e%d" % e for e in range(1, devices + 1)),
                            answers=records, answers_per_audit=args.answers_per_audit)
        phases.end()
        server.stop()
        log("  push, %d device(s), run %d: %.0f records/s (%.2f s)" %
            (devices, run + 1, result["records_per_second"], result["seconds"]))
        return result
    return repeat(args.runs, args.phase_budget, once)


def pull_phases(server, work, password, args, records, phases):
    """Initial pull into fresh HQ devices, pulls of changed answers, and `audits --json`."""
    out = {}
    tenant, device = "p%d-r0" % args.devices, None
    first_device_bytes = None

    def initial(run):
        nonlocal device, first_device_bytes
        device = os.path.join(work, "hq-device-%d" % run)
        login(server, device, tenant, "hq", password)
        offset = server.log_offset()
        seconds, report, late = cli(server, device, "pull", timeout=args.command_timeout)
        if late:
            return timed_out("initial pull, run %d" % (run + 1), seconds)
        wire, requests = server.response_bytes(offset, "/v1/sync/pull")
        if first_device_bytes is None:
            first_device_bytes = directory_bytes(device)
        log("  initial pull, run %d: %.2f s (%d changes)" % (run + 1, seconds, report["pulled"]))
        return {"seconds": seconds, "field_changes": report["pulled"],
                "complete": report["complete"], "response_body_bytes": wire,
                "decoded_body_bytes": report["bytes_received"], "requests": requests}

    phases.begin("initial_pull")
    out["initial_pull"] = repeat(args.runs, args.phase_budget, initial)
    phases.end()
    out["device_store_bytes"] = first_device_bytes

    def changed(run):
        edit = run_driver(server, "edit", os.path.join(work, tenant), tenant, password,
                          user="e1", answers=args.changed, round=run + 1)
        offset = server.log_offset()
        seconds, report, late = cli(server, device, "pull", timeout=args.command_timeout)
        if late:
            return timed_out("pull of changed records, run %d" % (run + 1), seconds)
        wire, requests = server.response_bytes(offset, "/v1/sync/pull")
        log("  pull of %d changed records, run %d: %.3f s (%d changes)" %
            (args.changed, run + 1, seconds, report["pulled"]))
        return {"seconds": seconds, "records_changed": edit["records"],
                "field_changes": report["pulled"], "response_body_bytes": wire,
                "requests": requests}

    if stopped(out["initial_pull"]) and len(out["initial_pull"]) == 1:
        log("  no device finished its initial pull: no changed pull, no audits --json")
        out["changed_pull"], out["audits_json"] = [], []
        return out
    phases.begin("changed_pull")
    out["changed_pull"] = repeat(args.runs, args.phase_budget, changed)
    phases.end()

    def audits(run):
        seconds, listing, late = cli(server, device, "audits", timeout=args.command_timeout)
        if late:
            return timed_out("audits --json, run %d" % (run + 1), seconds)
        log("  audits --json, run %d: %.3f s (%d audits)" %
            (run + 1, seconds, len(listing["audits"])))
        return {"seconds": seconds, "audits": len(listing["audits"])}

    phases.begin("audits_json")
    out["audits_json"] = repeat(args.runs, args.phase_budget, audits)
    phases.end()
    return out


def expert_phase(server, work, password, args, records, phases):
    """The single device's expert (every audit assigned) on a fresh device: initial pull, then
    a pull with nothing new (caught up)."""
    def once(run):
        device = os.path.join(work, "expert-device-%d" % run)
        login(server, device, "p1-r0", "e1", password)
        seconds, report, late = cli(server, device, "pull", timeout=args.command_timeout)
        if late:
            return timed_out("expert initial pull, run %d" % (run + 1), seconds)
        again, caught_up, _ = cli(server, device, "pull", timeout=args.command_timeout)
        log("  expert initial pull, run %d: %.2f s (%d changes); caught up: %.3f s" %
            (run + 1, seconds, report["pulled"], again))
        return {"seconds": seconds, "field_changes": report["pulled"],
                "caught_up_seconds": again, "caught_up_changes": caught_up["pulled"]}

    phases.begin("expert_pull")
    runs = repeat(args.runs, args.phase_budget, once)
    phases.end()
    audits = -(-records // args.answers_per_audit)
    return {"audits": audits, "answers": records, "runs": runs}


def measure_size(records, args):
    work = tempfile.mkdtemp(prefix="verdant-bench-sync-")
    server = Server(work)
    password = secrets.token_urlsafe(18)
    try:
        server.checklist = os.path.join(work, "checklist.json")
        write_checklist(server.checklist, args.answers_per_audit)
        tenants = set_up_accounts(server, password, args.runs, args.devices)
        phases = Phases(server)
        result = {"records": records, "fields_per_record": 7}
        log("N = %d: push" % records)
        result["push_1_device"] = push_phase(server, work, password, args, records, 1, phases)
        result["push_many_devices"] = push_phase(server, work, password, args, records,
                                                 args.devices, phases)
        log("N = %d: pulls" % records)
        server.start()
        result.update(pull_phases(server, work, password, args, records, phases))
        server.stop()
        log("N = %d: expert with every audit assigned" % records)
        server.start()
        result["expert"] = expert_phase(server, work, password, args, records, phases)
        server.stop()
        result["phases"] = phases.results
        result["server_peak_rss_mib"] = max(p["server_peak_rss_mib"]
                                            for p in phases.results.values())
        # A tenant only pushes wrote to (no later edits): the store as ingest leaves it.
        result["server_store_bytes"] = directory_bytes(
            os.path.join(server.data, "tenants", tenants["p1-r0"]))
        summarise(result, records, args)
        return result
    finally:
        server.stop()
        if args.keep:
            log("kept " + work)
        else:
            shutil.rmtree(work, ignore_errors=True)


def summarise(result, records, args):
    push1, push8 = result["push_1_device"], result["push_many_devices"]
    first_push = push8[0]
    initial = [r for r in result["initial_pull"] if not r.get("timed_out")]
    summary = {
        "push_records_per_second_1_device": median_of(push1, "records_per_second"),
        "push_records_per_second_%d_devices" % args.devices:
            median_of(push8, "records_per_second"),
        "initial_pull_seconds": median_of(result["initial_pull"], "seconds"),
        "changed_pull_seconds": median_of(result["changed_pull"], "seconds"),
        "audits_json_seconds": median_of(result["audits_json"], "seconds"),
        "stopped": [name for name in ("initial_pull", "changed_pull", "audits_json")
                    if stopped(result[name])] + (["expert"] if stopped(result["expert"]["runs"])
                                                 else []),
        "runs": {name: len(result[name]) for name in ("push_1_device", "push_many_devices",
                                                     "initial_pull", "changed_pull",
                                                     "audits_json")},
        "server_peak_rss_mib": result["server_peak_rss_mib"],
        "push_request_body_bytes_per_record": first_push["request_body_bytes"] / records,
        "pull_response_body_bytes_per_record":
            initial[0]["response_body_bytes"] / records if initial else None,
        "pull_decoded_body_bytes_per_record":
            initial[0]["decoded_body_bytes"] / records if initial else None,
        "server_store_bytes_per_record": result["server_store_bytes"] / records,
        "device_store_bytes_per_record":
            result["device_store_bytes"] / records if result["device_store_bytes"] else None,
    }
    summary["expert_audits"] = result["expert"]["audits"]
    summary["expert_initial_pull_seconds"] = median_of(result["expert"]["runs"], "seconds")
    summary["expert_caught_up_pull_seconds"] = median_of(result["expert"]["runs"],
                                                         "caught_up_seconds")
    result["summary"] = summary


def machine():
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            model = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "")
        with open("/proc/meminfo") as f:
            memory = int(f.readline().split()[1]) // 1024
    except OSError:
        memory = 0
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                            capture_output=True).stdout.strip()
    return {"cpu": model, "cores": os.cpu_count(), "memory_mib": memory,
            "kernel": platform.release(), "commit": commit,
            "load_average_1min_at_start": round(os.getloadavg()[0], 2)}


def fmt_seconds(value, late=False, limit=None):
    if late and value is None:
        return "> %d s (stopped)" % limit
    if value is None:
        return "not measured"
    return "%.0f ms" % (value * 1000) if value < 1 else "%.2f s" % value


def fmt_rate(value):
    return "—" if value is None else "%.1fk" % (value / 1000)


def table(results, args):
    """The issue's table, for the largest size, with the peak memory of every size."""
    main = results[-1]
    s = main["summary"]
    n = "{:,}".format(main["records"])
    many = "push_records_per_second_%d_devices" % args.devices
    rss = "; ".join("%s: %.0f MiB" % ("{:,}".format(r["records"]), r["summary"]
                                       ["server_peak_rss_mib"]) for r in results)
    def late(name):
        return name in s["stopped"]
    limit = args.command_timeout
    expert = "%s; %s" % (fmt_seconds(s["expert_initial_pull_seconds"], late("expert"), limit),
                         fmt_seconds(s["expert_caught_up_pull_seconds"]))
    device_kb = s["device_store_bytes_per_record"]
    rows = [
        ("push, records/s (1 device; %d devices)" % args.devices,
         "%s; %s" % (fmt_rate(s["push_records_per_second_1_device"]), fmt_rate(s[many])),
         POUCHDB["push"]),
        ("initial pull of %s into a fresh device (`verdant pull`)" % n,
         fmt_seconds(s["initial_pull_seconds"], late("initial_pull"), limit),
         POUCHDB["initial_pull"]),
        ("pull of {:,} changed records on a {}-record device".format(args.changed, n),
         fmt_seconds(s["changed_pull_seconds"], late("changed_pull"), limit),
         POUCHDB["changed_pull"]),
        ("server peak RSS over the run", rss, POUCHDB["rss"]),
        ("expert with {:,} assigned audits: initial pull; caught-up pull".format(
            s["expert_audits"]), expert, POUCHDB["expert"]),
        ("`verdant audits --json` on a %s-record device" % n,
         fmt_seconds(s["audits_json_seconds"], late("audits_json"), limit), POUCHDB["audits"]),
        ("push bytes per record; pull bytes per record (bodies)",
         "{:,.0f}; {:,.0f}".format(s["push_request_body_bytes_per_record"],
                                   s["pull_response_body_bytes_per_record"] or 0),
         POUCHDB["bytes"]),
        ("store on disk per record, server; device",
         "%.2f KB; %s" % (s["server_store_bytes_per_record"] / 1000,
                          "%.2f KB" % (device_kb / 1000) if device_kb else "—"), POUCHDB["disk"]),
    ]
    lines = ["| %s answers of 7 fields | Verdant | PouchDB (issue, 100k) |" % n,
             "|---|---:|---:|"]
    lines += ["| %s | %s | %s |" % row for row in rows]
    runs = dict(s["runs"], expert=len(main["expert"]["runs"]))
    lines += ["", "Runs behind each median: " + ", ".join("%s %d" % item for item in runs.items())]
    lines += ["", "| phase: server peak RSS, server CPU (1-min load) | %s |" %
              " | ".join("{:,}".format(r["records"]) for r in results),
              "|---|" + "---:|" * len(results)]
    for phase in results[-1]["phases"]:
        cells = []
        for r in results:
            p = r["phases"].get(phase)
            cells.append("%.0f MiB, %.1f s (%.1f)" % (p["server_peak_rss_mib"],
                                                      p["server_cpu_seconds"],
                                                      p["load_average_1min"]) if p else "—")
        lines.append("| %s | %s |" % (phase, " | ".join(cells)))
    return "\n".join(lines)


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000",
                        help="answer records per run, comma-separated; the last is the headline")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 2,000 records, 200 changed")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--devices", type=int, default=8)
    parser.add_argument("--changed", type=int, default=1000)
    parser.add_argument("--answers-per-audit", type=int, default=100,
                        help="checklist length: N / this many audits (default 100)")
    parser.add_argument("--phase-budget", type=float, default=60,
                        help="seconds after which a phase stops repeating (default 60)")
    parser.add_argument("--command-timeout", type=float, default=120,
                        help="seconds after which one verdant command is stopped (default 120)")
    parser.add_argument("--no-build", action="store_true", help="use the binaries as they are")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directories")
    parser.add_argument("--output", help="JSON results file (default bench-results/sync-DATE.json)")
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.changed = "2000", 200
    args.sizes = [int(size) for size in args.sizes.split(",")]
    return args


def main():
    args = parse_arguments()
    if not args.no_build:
        build()
    for binary in (SERVER, CLI, DRIVER):
        if not os.path.exists(binary):
            sys.exit(binary + " is missing: cmake --preset bench && cmake --build --preset bench")
    started = time.monotonic()
    stamp = datetime.datetime.now().strftime("%Y-%m-%d-%H%M%S")
    results = []
    for records in args.sizes:
        results.append(measure_size(records, args))
    document = {
        "date": stamp, "machine": machine(),
        "settings": {"sizes": args.sizes, "runs": args.runs, "devices": args.devices,
                     "changed": args.changed, "answers_per_audit": args.answers_per_audit,
                     "phase_budget_seconds": args.phase_budget,
                     "command_timeout_seconds": args.command_timeout},
        "wall_seconds": round(time.monotonic() - started, 1),
        "results": results,
    }
    output = args.output or os.path.join(ROOT, "bench-results", "sync-%s.json" % stamp)
    os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
    with open(output, "w") as f:
        json.dump(document, f, indent=2)
    print(table(results, args))
    print("\nresults: %s (%.0f s in all)" % (os.path.relpath(output, ROOT),
                                             document["wall_seconds"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
