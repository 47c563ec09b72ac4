"""coverage-spy's harvester: sets up the data volume, then combines a run's data and writes its reports.

    harvest.py init --data-dir D
    harvest.py harvest --data-dir D --run-id R --rcfile F --out O --keep K --lost warn|fail --service NAME=PATH ...
                       [--owner UID:GID] [--inputs TAR]
    harvest.py harvest --live --data-dir D --run-id R --rcfile F --out O --lost warn|fail --service NAME=PATH ...

`init` makes the volume's runs/ folder once; each run's first measured process makes the run's folders in it
(_coverage_spy.records.ensure_folder). A harvest prunes the runs beyond K, in the volume and beside O.

Every value comes from the component (components/options/optionTable.ts holds the defaults): none has a
default here.

The harvest writes every report format for the total and for each service under O, and O/harvest.json, which
names them (paths relative to O): "reports" for the total's, services.<name>.report for each service's JSON.
harvest.json's "warnings" lists what the measurement may have got wrong, with the option that fixes it (see
concurrency_warnings); each is also said on stderr. With per-test contexts ([coverage_spy] contexts in the rcfile),
harvest.json's "perTest" and O/total/contexts.json say which test ran which line (contexts_index.py).
Standard library plus coverage.py only. It fails loudly (non-zero exit, a message naming what is missing) and
never reports an empty result as a success.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import posixpath
import shutil
import sys
import tempfile
from typing import Any

# The spy's record format, from the spy's own folder: mounted with this script (coverage-spy/site).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "site"))
import contexts_index  # noqa: E402 - next to this script, which Python puts first on sys.path
from _coverage_spy import greenlets, records  # noqa: E402
from _coverage_spy.records import RUNS  # noqa: E402
from _coverage_spy.settings import Settings  # noqa: E402

EXIT_NO_DATA = 3
# The reports write_reports writes into a folder, by format: file names relative to it.
REPORT_FILES = {
    "html": "html/index.html",
    "json": "coverage.json",
    "xml": "coverage.xml",
    "lcov": "coverage.lcov",
    "text": "coverage.txt",
}
TOTAL = "total"
SERVICES = "services"

Outcomes = dict[str, list[records.Record]]


class HarvestError(Exception):
    """A problem the user must see; the message says what and where."""


def parse_service(text: str) -> tuple[str, str]:
    """NAME=/absolute/source/path as (name, source path without a trailing slash)."""
    name, sep, source_path = text.partition("=")
    if not sep or not name or not source_path.startswith("/"):
        raise argparse.ArgumentTypeError(f"expected NAME=/absolute/source/path, got {text!r}")
    return name, source_path.rstrip("/") or "/"


def prune_runs(runs_dir: str, keep: int, current: str) -> list[str]:
    """Deletes all but the newest `keep` runs (run ids sort by time); never the current one. Returns the deleted."""
    if not os.path.isdir(runs_dir):
        return []
    runs = sorted(r for r in os.listdir(runs_dir) if r != current)
    doomed = runs[: max(0, len(runs) - (keep - 1))]
    for run in doomed:
        # Best effort: a file this user may not delete stays, and the next harvest tries again. Pruning old runs
        # must not fail the harvest of this one.
        shutil.rmtree(os.path.join(runs_dir, run), ignore_errors=True)
    return doomed


def parse_owner(value: str) -> tuple[int, int]:
    """The owner given as UID:GID, as (uid, gid)."""
    uid, sep, gid = value.partition(":")
    if not sep or not uid.isdigit() or not gid.isdigit():
        raise argparse.ArgumentTypeError(f"expected UID:GID, got {value!r}")
    return int(uid), int(gid)


def give_to(folder: str, owner: tuple[int, int]) -> None:
    """Hands everything under `folder` (and the folder) to `owner`; nothing there is not ours to give."""
    if not os.path.isdir(folder):
        return
    for root, dirs, files in os.walk(folder):
        for name in [*dirs, *files]:
            os.lchown(os.path.join(root, name), *owner)
    os.lchown(folder, *owner)


def init(args: argparse.Namespace) -> int:
    """Makes the data volume's runs/ folder, once per volume: each run's first process makes its folders there."""
    runs = os.path.join(args.data_dir, RUNS)
    os.makedirs(runs, exist_ok=True)
    # Any app user may make a run's folder here; sticky, so no process deletes another's.
    os.chmod(runs, records.SHARED_FOLDER_MODE)
    print(f"coverage-spy: data volume ready ({runs})")
    return 0


def data_files(folder: str) -> list[str]:
    """coverage.py's data files in a service's data folder."""
    return sorted(glob.glob(os.path.join(folder, ".coverage.*")))


def process_outcomes(folder: str) -> Outcomes:
    """Pairs every start record with the process's data files and end record.

    ended:       left through exit, os._exit, SIGTERM or exec after saving (data or not: an idle process has none)
    interrupted: never ended (SIGKILL, OOM) but saved periodically: only its last few seconds are missing
    lost:        never ended and saved nothing: all its lines are missing
    """
    saved = {records.data_file_owner(os.path.basename(f)) for f in data_files(folder)}
    ends, saves = records.read_all(folder, records.END), records.read_all(folder, records.SAVES)
    outcomes: Outcomes = {"ended": [], "interrupted": [], "lost": []}
    for key, record in sorted(records.read_all(folder, records.START).items()):
        host, _ = key
        record = dict(record, host=host)
        if key in ends:
            outcomes["ended"].append(record)
        elif key in saved:
            outcomes["interrupted"].append(dict(record, lastSave=saves.get(key, {}).get("lastSave")))
        else:
            outcomes["lost"].append(record)
    return outcomes


def _count(values: Any) -> dict[Any, int]:
    """How many times each value occurs."""
    counts: dict[Any, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts


def write_reports(cov: Any, out_dir: str) -> float:
    """Every report format (REPORT_FILES), from one combined Coverage object. Returns the total percentage."""
    os.makedirs(out_dir, exist_ok=True)

    def path(kind: str) -> str:
        """Where the report of one format goes."""
        return os.path.join(out_dir, *REPORT_FILES[kind].split("/"))

    cov.json_report(outfile=path("json"), pretty_print=True)
    cov.xml_report(outfile=path("xml"))
    cov.lcov_report(outfile=path("lcov"))
    cov.html_report(directory=os.path.dirname(path("html")))
    with open(path("text"), "w") as text:
        return cov.report(file=text, show_missing=True)


def report_paths(folder: str) -> dict[str, str]:
    """The reports write_reports writes into `folder` (relative to the run's out folder), as harvest.json has them."""
    return {kind: posixpath.join(folder, name) for kind, name in REPORT_FILES.items()}


def combine_service(
    coverage: Any, name: str, source_path: str, data_dir: str, sources_dir: str, rcfile: str, out_dir: str
) -> tuple[Any, int]:
    """Combines one service's data, remapping its container paths onto the source copied out of it.

    Returns the combined Coverage object and how many files under the source it measured.
    """
    staged = os.path.join(sources_dir, name)
    if not os.path.isdir(staged):
        raise HarvestError(f"the source of service {name} was not copied out of its container ({staged} missing)")
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
        raise HarvestError(
            f"service {name} wrote data files but they measured no file: check the service's sourcePath {source_path}"
        )
    outside = sorted(f for f in measured if not f.startswith(staged + "/"))
    # Files of other services' source folders show up unexecuted (the config lists every service's); only
    # executed ones matter.
    outside_executed = [f for f in outside if data.lines(f)]
    if len(outside) == len(measured):
        raise HarvestError(
            f"service {name}: none of its {len(measured)} measured file(s) is under {source_path} (e.g. {outside[0]}):"
            " check the service's sourcePath"
        )
    if outside_executed:
        sys.stderr.write(
            f"coverage-spy: service {name}: {len(outside_executed)} executed file(s) outside {source_path} are left"
            f" out of the report, e.g. {outside_executed[0]}\n"
        )
    return cov, len(measured) - len(outside)


def unpack_inputs(tar_path: str, out_dir: str) -> None:
    """Puts the test run's results (tests.json, sources/) into ``out_dir``, from the tar test-run.sh packed.

    A remote engine's harvester cannot see the host's run folder, so they come uploaded into its container.
    """
    import tarfile

    os.makedirs(out_dir, exist_ok=True)
    try:
        with tarfile.open(tar_path) as tar:
            # "data": no member may land outside out_dir, or be a device or an absolute link.
            tar.extractall(out_dir, filter="data")
    except (OSError, tarfile.TarError) as exc:
        raise HarvestError(f"cannot unpack the test run's results {tar_path}: {exc}") from exc


def exited_early(out_dir: str) -> dict[str, dict[str, Any]]:
    """{service: {"exitCode", "oomKilled"}} of the services the test run found dead before their stop (tests.json)."""
    try:
        with open(os.path.join(out_dir, "tests.json")) as f:
            return json.load(f).get("exitedEarly") or {}
    except (OSError, ValueError):
        # A snapshot has no test run yet; a run without tests.json reports no early exit.
        return {}


def nothing_saved(coverage: Any, source_path: str, staged: str, rcfile: str) -> str:
    """A data folder for a service that died before saving anything: its source files, measured with no line run.

    Its reports then show every line missing, instead of the harvest failing with no outputs at all.
    """
    folder = tempfile.mkdtemp(prefix="coverage-spy-nothing-saved-")
    data = coverage.CoverageData(basename=os.path.join(folder, ".coverage.nothing-saved"))
    # Lines or arcs as the other services' data, which the total combines with it.
    if coverage.Coverage(config_file=rcfile).get_option("run:branch"):
        data.add_arcs({})
    else:
        data.add_lines({})
    data.touch_files(
        [
            os.path.join(source_path, os.path.relpath(os.path.join(root, f), staged))
            for root, _, files in os.walk(staged)
            for f in files
            if f.endswith(".py")
        ]
    )
    data.write()
    return folder


def _command(record: records.Record) -> str:
    """A start record's command line, for a message."""
    return " ".join(record["command"])


def report_outcomes(name: str, outcomes: Outcomes, summary: dict[str, Any]) -> None:
    """Adds a service's lost and interrupted processes to the summary, and says so on stderr."""
    for record in outcomes["lost"]:
        summary["lostProcesses"].append(dict(record, service=name))
        sys.stderr.write(
            f"coverage-spy: service {name}: process {record['pid']} ({_command(record)}) started measuring but saved"
            " no data\n"
        )
    for record in outcomes["interrupted"]:
        summary["interruptedProcesses"].append(dict(record, service=name))
        sys.stderr.write(
            f"coverage-spy: service {name}: process {record['pid']} ({_command(record)}) was killed; its data up to"
            " its last periodic save is kept\n"
        )


def concurrency_warnings(name: str, folder: str, configured: list[str]) -> list[dict[str, Any]]:
    """One warning per concurrency library that processes of a service ran but their core did not follow.

    The processes' saves and end records say so (the spy's greenlets.py): a tracer measured greenlets without
    [run] concurrency naming the library, so lines run in them may be missing or counted in the wrong file.
    `configured` is the rcfile's [run] concurrency; the warning's `value` is the list to set instead: that one with
    the library (in place of another greenlet library: coverage.py takes one).
    """
    ends, saves = records.read_all(folder, records.END), records.read_all(folder, records.SAVES)
    by_library: dict[str, list[records.Record]] = {}
    for key, start in sorted(records.read_all(folder, records.START).items()):
        for library in records.unfollowed_concurrency(saves.get(key), ends.get(key)):
            process = {k: start.get(k) for k in ("pid", "command", "core", "python")}
            by_library.setdefault(library, []).append(dict(process, host=key[0]))
    warnings = []
    for library, processes in by_library.items():
        value = greenlets.fixed_concurrency(configured, [library])
        cores = " or ".join(sorted({str(p["core"] or "its default tracer") for p in processes}))
        example = processes[0]
        message = (
            f"service {name}: {len(processes)} process(es) ran {library} greenlets, which coverage.py's {cores}"
            f" follows only with [run] concurrency = {library}, so lines run in greenlets may be missing or counted"
            f" in the wrong file (e.g. process {example['pid']}: {' '.join(example['command'] or [])}); set"
            f" coverage: {{ concurrency: {json.dumps(value)} }} in the stack's options"
        )
        warnings.append(
            {
                "service": name,
                "kind": "concurrency",
                "library": library,
                "option": "coverage.concurrency",
                "value": value,
                "processes": processes,
                "message": message,
            }
        )
    return warnings


def harvest(args: argparse.Namespace) -> int:
    """Combines the run's data per service and in total, writes every report and harvest.json; prunes old runs."""
    import coverage  # here: `prepare` runs where coverage.py may not be installed

    # Absolute paths: the per-service steps change the working directory.
    data_dir = os.path.abspath(args.data_dir)
    args.out = os.path.abspath(args.out)
    args.rcfile = os.path.abspath(args.rcfile)
    sources_dir = os.path.join(args.out, "sources")
    if args.inputs is not None:
        unpack_inputs(args.inputs, args.out)
    died = exited_early(args.out)
    missing = [name for name, _ in args.service if not data_files(records.service_folder(data_dir, args.run_id, name))]
    unexplained = [name for name in missing if name not in died]
    if unexplained:
        raise HarvestError(
            f"no coverage data from service(s) {', '.join(unexplained)} in run {args.run_id}: the processes did not"
            " start coverage (see the service logs for a 'coverage-spy:' line) or were killed before saving"
        )
    summary: dict[str, Any] = {
        "runId": args.run_id,
        "coverageVersion": coverage.__version__,
        "services": {},
        "lostProcesses": [],
        "interruptedProcesses": [],
        "warnings": [],
        "live": args.live,
        "reports": report_paths(TOTAL),
    }
    outcomes = {}
    configured = list(coverage.Coverage(config_file=args.rcfile).get_option("run:concurrency") or [])
    for name, _ in args.service:
        folder = records.service_folder(data_dir, args.run_id, name)
        outcomes[name] = process_outcomes(folder)
        for warning in concurrency_warnings(name, folder, configured):
            summary["warnings"].append(warning)
            sys.stderr.write(f"coverage-spy: {warning['message']}\n")
        # A snapshot of running services: not having ended yet is their normal state.
        if not args.live:
            report_outcomes(name, outcomes[name], summary)
    if summary["lostProcesses"] and args.lost == "fail":
        raise HarvestError(
            f"{len(summary['lostProcesses'])} process(es) saved no coverage data (see above); lostProcesses is 'fail'"
        )
    combined = []
    for name, source_path in args.service:
        folder = records.service_folder(data_dir, args.run_id, name)
        files = data_files(folder)
        report_dir = posixpath.join(SERVICES, name)
        out_dir = os.path.join(args.out, SERVICES, name)
        if name in died:
            sys.stderr.write(
                f"coverage-spy: service {name} exited during the test suite (exit code {died[name]['exitCode']}"
                f"{', OOM-killed' if died[name]['oomKilled'] else ''}): only the data it saved before is measured\n"
            )
        if not files:
            folder = nothing_saved(coverage, source_path, os.path.join(sources_dir, name), args.rcfile)
        cov, measured = combine_service(coverage, name, source_path, folder, sources_dir, args.rcfile, out_dir)
        percent = write_reports(cov, out_dir)
        summary["services"][name] = {
            "dataFiles": len(files),
            "processes": {kind: len(found) for kind, found in outcomes[name].items()},
            # Which measurement core each process used (the spy picks sysmon on 3.12+ where it can).
            "cores": _count(r.get("core") or "unknown" for found in outcomes[name].values() for r in found),
            "measuredFiles": measured,
            "sourcePath": source_path,
            "reportRoot": name,
            "percent": percent,
            "report": report_paths(report_dir)["json"],
        }
        combined.append(os.path.join(out_dir, ".coverage"))
        print(f"coverage-spy: service {name}: {len(files)} data file(s), {measured} file(s) measured, {percent:.2f}%")

    # The total names files "<service>/pkg/module.py".
    os.chdir(sources_dir)
    total = coverage.Coverage(data_file=os.path.join(args.out, TOTAL, ".coverage"), config_file=args.rcfile)
    total.set_option("run:source", [sources_dir])
    total.set_option("report:include", [sources_dir + "/*"])
    total.combine(combined, keep=True)
    total.save()
    summary["percent"] = write_reports(total, os.path.join(args.out, TOTAL))
    if Settings(args.rcfile).contexts:
        index = contexts_index.line_contexts(total.get_data(), sources_dir)
        contexts_index.write_index(index, args.out)
        events = contexts_index.read_events(os.path.join(data_dir, RUNS, args.run_id))
        summary["perTest"] = contexts_index.per_test(index, events)
        for warning in contexts_index.warnings(summary["perTest"]):
            summary["warnings"].append(warning)
            sys.stderr.write(f"coverage-spy: {warning['message']}\n")
    with open(os.path.join(args.out, "harvest.json"), "w") as out:
        json.dump(summary, out, indent=2, sort_keys=True)
    with open(os.path.join(args.out, TOTAL, REPORT_FILES["text"])) as text:
        sys.stdout.write(text.read())
    if not args.live:
        prune_runs(os.path.dirname(os.path.abspath(args.out)), args.keep, args.run_id)
        prune_runs(os.path.join(data_dir, RUNS), args.keep, args.run_id)
    return 0


def main(argv: list[str] | None = None) -> int:
    """The command line (see the module's doc); returns the exit status."""
    parser = argparse.ArgumentParser(prog="harvest.py", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="action", required=True)
    sub.add_parser("init").add_argument("--data-dir", required=True)
    p = sub.add_parser("harvest")
    p.add_argument("--data-dir", required=True)
    p.add_argument("--run-id", required=True)
    p.add_argument("--keep", type=int, help="runs kept (this one included); required but for --live")
    p.add_argument("--service", type=parse_service, action="append", required=True)
    p.add_argument("--owner", type=parse_owner, help="UID:GID to own the reports written (the host's user)")
    p.add_argument("--rcfile", required=True)
    p.add_argument("--out", required=True)
    p.add_argument(
        "--lost",
        choices=("warn", "fail"),
        required=True,
        help="what a process that started measuring but saved no data does to the harvest",
    )
    p.add_argument(
        "--inputs",
        help="a tar of the test run's tests.json and sources/, unpacked into --out first (a remote engine)",
    )
    p.add_argument(
        "--live",
        action="store_true",
        help="a snapshot of running services: no process is expected to have ended, no old runs are pruned",
    )
    args = parser.parse_args(argv)
    if args.action == "init":
        return init(args)
    if args.keep is None and not args.live:
        parser.error("--keep is required (--live alone prunes nothing)")
    if args.keep is not None and args.keep < 1:
        parser.error("--keep must be at least 1")
    try:
        return harvest(args)
    except HarvestError as exc:
        sys.stderr.write(f"coverage-spy harvest failed: {exc}\n")
        return EXIT_NO_DATA
    finally:
        # Root in the harvester (it prunes the data of old runs, whoever wrote it); the reports are the host user's.
        if args.owner is not None:
            give_to(args.out, args.owner)


if __name__ == "__main__":
    sys.exit(main())
