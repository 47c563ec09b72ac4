"""coverage-spy's harvester: prepares run folders, then combines a run's data and writes its reports.

    harvest.py prepare --data-dir D --run-id R --keep K --service NAME=SOURCE_PATH ...
    harvest.py harvest --data-dir D --run-id R --rcfile F --out O --keep K --service NAME=SOURCE_PATH ... [--live]

Standard library plus coverage.py only. It fails loudly (non-zero exit, a message naming what is
missing) and never reports an empty result as a success.
"""
import argparse
import glob
import json
import os
import shutil
import sys
import tempfile

RUNS = "runs"
EXIT_NO_DATA = 3


class HarvestError(Exception):
    """A problem the user must see; the message says what and where."""


def parse_service(text):
    name, sep, source_path = text.partition("=")
    if not sep or not name or not source_path.startswith("/"):
        raise argparse.ArgumentTypeError("expected NAME=/absolute/source/path, got %r" % text)
    return name, source_path.rstrip("/") or "/"


def prune_runs(runs_dir, keep, current):
    """Deletes all but the newest `keep` runs (run ids sort by time); never the current one."""
    if not os.path.isdir(runs_dir):
        return []
    runs = sorted(r for r in os.listdir(runs_dir) if r != current)
    doomed = runs[: max(0, len(runs) - (keep - 1))]
    for run in doomed:
        shutil.rmtree(os.path.join(runs_dir, run), ignore_errors=True)
    return doomed


def prepare(args):
    run_dir = os.path.join(args.data_dir, RUNS, args.run_id)
    for name, _ in args.service:
        folder = os.path.join(run_dir, name)
        os.makedirs(folder, exist_ok=True)
        # Any app user may write here; sticky, so no process deletes another's files.
        os.chmod(folder, 0o1777)
    pruned = prune_runs(os.path.join(args.data_dir, RUNS), args.keep, args.run_id)
    print("coverage-spy: run %s prepared for %d service(s); pruned %d old run(s)" % (args.run_id, len(args.service), len(pruned)))
    return 0


def data_files(folder):
    return sorted(glob.glob(os.path.join(folder, ".coverage.*")))


def _records(folder, kind):
    """{(host, pid): record} of one kind of record the spy leaves (start, end, saves)."""
    found = {}
    for path in glob.glob(os.path.join(folder, ".%s.*.pid*.json" % kind)):
        host, _, pid = os.path.basename(path)[len(kind) + 2:-len(".json")].rpartition(".pid")
        try:
            with open(path) as f:
                found[(host, int(pid))] = json.load(f)
        except (OSError, ValueError):
            continue
    return found


def process_outcomes(folder):
    """Pairs every start record with the process's data file and end record.

    ended:       left through exit, os._exit, SIGTERM or exec after saving (data or not: an idle process has none)
    interrupted: never ended (SIGKILL, OOM) but saved periodically: only its last few seconds are missing
    lost:        never ended and saved nothing: all its lines are missing
    """
    saved = {os.path.basename(f) for f in data_files(folder)}
    ends, saves = _records(folder, "end"), _records(folder, "saves")
    outcomes = {"ended": [], "interrupted": [], "lost": []}
    for key, record in sorted(_records(folder, "start").items()):
        host, pid = key
        record = dict(record, host=host)
        if key in ends:
            outcomes["ended"].append(record)
        elif any(name.startswith(".coverage.%s.pid%d." % key) for name in saved):
            outcomes["interrupted"].append(dict(record, lastSave=saves.get(key, {}).get("lastSave")))
        else:
            outcomes["lost"].append(record)
    return outcomes


def _count(values):
    counts = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts


def lost_processes(folder):
    """Processes that started measuring but neither ended nor saved: their lines are lost."""
    return process_outcomes(folder)["lost"]


def write_reports(cov, out_dir):
    """Every report format, from one combined Coverage object. Returns the total percentage."""
    os.makedirs(out_dir, exist_ok=True)
    cov.json_report(outfile=os.path.join(out_dir, "coverage.json"), pretty_print=True)
    cov.xml_report(outfile=os.path.join(out_dir, "coverage.xml"))
    cov.lcov_report(outfile=os.path.join(out_dir, "coverage.lcov"))
    cov.html_report(directory=os.path.join(out_dir, "html"))
    with open(os.path.join(out_dir, "coverage.txt"), "w") as text:
        return cov.report(file=text, show_missing=True)


def combine_service(coverage, name, source_path, data_dir, sources_dir, rcfile, out_dir):
    """Combines one service's data, remapping its container paths onto the source copied out of it."""
    staged = os.path.join(sources_dir, name)
    if not os.path.isdir(staged):
        raise HarvestError("the source of service %s was not copied out of its container (%s missing)" % (name, staged))
    os.makedirs(out_dir, exist_ok=True)
    # coverage.py names files relative to the working directory: from here, a service's reports say
    # "pkg/module.py", as CI tools expect.
    os.chdir(staged)
    cov = coverage.Coverage(data_file=os.path.join(out_dir, ".coverage"), config_file=rcfile)
    paths = dict(cov.get_option("paths") or {})
    paths["coverage_spy_" + name] = [staged + "/", source_path + "/"]
    cov.set_option("paths", paths)
    cov.set_option("run:source", [staged])
    # Files outside the service's source (a stray path) cannot be reported: the copied source is all there is.
    cov.set_option("report:include", [staged + "/*"])
    cov.combine([data_dir], keep=True)
    cov.save()
    data = cov.get_data()
    measured = data.measured_files()
    if not measured:
        raise HarvestError("service %s wrote data files but they measured no file: check the service's sourcePath %s" % (name, source_path))
    outside = sorted(f for f in measured if not f.startswith(staged + "/"))
    # Files of other services' source folders show up unexecuted (the config lists every service's); only executed ones matter.
    outside_executed = [f for f in outside if data.lines(f)]
    if len(outside) == len(measured):
        raise HarvestError(
            "service %s: none of its %d measured file(s) is under %s (e.g. %s): check the service's sourcePath"
            % (name, len(measured), source_path, outside[0])
        )
    if outside_executed:
        sys.stderr.write("coverage-spy: service %s: %d executed file(s) outside %s are left out of the report, e.g. %s\n"
                         % (name, len(outside_executed), source_path, outside_executed[0]))
    return cov, len(measured) - len(outside)


def exited_early(out_dir):
    """{service: {"exitCode", "oomKilled"}} of the services the test run found dead before their stop (tests.json)."""
    try:
        with open(os.path.join(out_dir, "tests.json")) as f:
            return json.load(f).get("exitedEarly") or {}
    except (OSError, ValueError):
        # A snapshot has no test run yet; a run without tests.json reports no early exit.
        return {}


def nothing_saved(coverage, source_path, staged, rcfile):
    """A data folder for a service that died before saving anything: its source files, measured with no line run,
    so its reports show every line missing instead of the harvest failing with no outputs at all."""
    folder = tempfile.mkdtemp(prefix="coverage-spy-nothing-saved-")
    data = coverage.CoverageData(basename=os.path.join(folder, ".coverage.nothing-saved"))
    # Lines or arcs as the other services' data, which the total combines with it.
    if coverage.Coverage(config_file=rcfile).get_option("run:branch"):
        data.add_arcs({})
    else:
        data.add_lines({})
    data.touch_files([os.path.join(source_path, os.path.relpath(os.path.join(root, f), staged))
                      for root, _, files in os.walk(staged) for f in files if f.endswith(".py")])
    data.write()
    return folder


def harvest(args):
    import coverage

    # Absolute paths: the per-service steps change the working directory.
    run_dir = os.path.join(os.path.abspath(args.data_dir), RUNS, args.run_id)
    args.out = os.path.abspath(args.out)
    args.rcfile = os.path.abspath(args.rcfile)
    sources_dir = os.path.join(args.out, "sources")
    died = exited_early(args.out)
    missing = [name for name, _ in args.service if not data_files(os.path.join(run_dir, name))]
    unexplained = [name for name in missing if name not in died]
    if unexplained:
        raise HarvestError(
            "no coverage data from service(s) %s in run %s: the processes did not start coverage "
            "(see the service logs for a 'coverage-spy:' line) or were killed before saving" % (", ".join(unexplained), args.run_id)
        )
    summary = {"runId": args.run_id, "coverageVersion": coverage.__version__, "services": {}, "lostProcesses": [],
               "interruptedProcesses": [], "live": args.live}
    outcomes = {}
    for name, _ in args.service:
        outcomes[name] = process_outcomes(os.path.join(run_dir, name))
        if args.live:
            # A snapshot of running services: not having ended yet is their normal state.
            continue
        for record in outcomes[name]["lost"]:
            summary["lostProcesses"].append(dict(record, service=name))
            sys.stderr.write("coverage-spy: service %s: process %d (%s) started measuring but saved no data\n"
                             % (name, record["pid"], " ".join(record["command"])))
        for record in outcomes[name]["interrupted"]:
            summary["interruptedProcesses"].append(dict(record, service=name))
            sys.stderr.write("coverage-spy: service %s: process %d (%s) was killed; its data up to its last periodic save is kept\n"
                             % (name, record["pid"], " ".join(record["command"])))
    if summary["lostProcesses"] and args.lost == "fail":
        raise HarvestError("%d process(es) saved no coverage data (see above); lostProcesses is 'fail'" % len(summary["lostProcesses"]))
    combined = []
    for name, source_path in args.service:
        folder = os.path.join(run_dir, name)
        files = data_files(folder)
        out_dir = os.path.join(args.out, "services", name)
        if name in died:
            sys.stderr.write("coverage-spy: service %s exited during the test suite (exit code %s%s): only the data it "
                             "saved before is measured\n" % (name, died[name]["exitCode"], ", OOM-killed" if died[name]["oomKilled"] else ""))
        if not files:
            folder = nothing_saved(coverage, source_path, os.path.join(sources_dir, name), args.rcfile)
        cov, measured = combine_service(coverage, name, source_path, folder, sources_dir, args.rcfile, out_dir)
        percent = write_reports(cov, out_dir)
        summary["services"][name] = {
            "dataFiles": len(files),
            "processes": {kind: len(records) for kind, records in outcomes[name].items()},
            # Which measurement core each process used (the spy picks sysmon on 3.12+ where it can).
            "cores": _count(r.get("core") or "unknown" for records in outcomes[name].values() for r in records),
            "measuredFiles": measured,
            "sourcePath": source_path,
            "reportRoot": name,
            "percent": percent,
        }
        combined.append(os.path.join(out_dir, ".coverage"))
        print("coverage-spy: service %s: %d data file(s), %d file(s) measured, %.2f%%" % (name, len(files), measured, percent))

    # The total names files "<service>/pkg/module.py".
    os.chdir(sources_dir)
    total = coverage.Coverage(data_file=os.path.join(args.out, "total", ".coverage"), config_file=args.rcfile)
    total.set_option("run:source", [sources_dir])
    total.set_option("report:include", [sources_dir + "/*"])
    total.combine(combined, keep=True)
    total.save()
    summary["percent"] = write_reports(total, os.path.join(args.out, "total"))
    with open(os.path.join(args.out, "harvest.json"), "w") as out:
        json.dump(summary, out, indent=2, sort_keys=True)
    with open(os.path.join(args.out, "total", "coverage.txt")) as text:
        sys.stdout.write(text.read())
    if not args.live:
        prune_runs(os.path.dirname(os.path.abspath(args.out)), args.keep, args.run_id)
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="harvest.py", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="action", required=True)
    for action in ("prepare", "harvest"):
        p = sub.add_parser(action)
        p.add_argument("--data-dir", required=True)
        p.add_argument("--run-id", required=True)
        p.add_argument("--keep", type=int, default=5)
        p.add_argument("--service", type=parse_service, action="append", required=True)
        if action == "harvest":
            p.add_argument("--rcfile", required=True)
            p.add_argument("--out", required=True)
            p.add_argument("--lost", choices=("warn", "fail"), default="warn",
                           help="what a process that started measuring but saved no data does to the harvest")
            p.add_argument("--live", action="store_true",
                           help="a snapshot of running services: no process is expected to have ended, no old runs are pruned")
    args = parser.parse_args(argv)
    if args.keep < 1:
        parser.error("--keep must be at least 1")
    try:
        return prepare(args) if args.action == "prepare" else harvest(args)
    except HarvestError as exc:
        sys.stderr.write("coverage-spy harvest failed: %s\n" % exc)
        return EXIT_NO_DATA


if __name__ == "__main__":
    sys.exit(main())
