import { DockerCommandError, docker } from "./dockerCli";
import * as path from "path";
import { ResolvedService } from "../options/resolveArgs";
import { shownValue } from "../options/validation";
import { LABEL_PROJECT, LABEL_SOURCE_PATH, LABEL_STACK, OWN_CONTAINERS, stackObjectName } from "../shared/naming";

/** A measured service's sourcePath, to be looked for in its image at preview. */
export interface SourceCheck {
    /** Where the option sits in the arguments, e.g. "services[0]". */
    where: string;
    service: string;
    image: string;
    sourcePath: string;
    /** The service's user, so the folder is looked at with its rights. */
    user?: string;
}

/** What the component has looked at in its engine before it declares anything. */
export interface EngineChecks {
    sources: SourceCheck[];
    /** The names of the containers the stack will make, and whose labels they must carry if they exist. */
    containerNames: string[];
    owner?: { stack: string; project: string };
}

/** The engine checks of a stack's services. */
export function engineChecks(stack: string, project: string, services: ResolvedService[]): EngineChecks {
    return {
        sources: imageSourceChecks(services),
        containerNames: stackContainerNames(stack, services),
        owner: { stack, project },
    };
}

/** What one docker command said. */
export interface CommandResult {
    status: number | null;
    stdout: string;
    stderr: string;
}

/**
 * Prints "KIND<TAB>WORKING DIRECTORY" for the path in argv[1]: "dir", "file", "missing", or "unknown" (it could
 * not be looked at). Run with -I -S, so nothing of the image's own site setup runs.
 */
const PROBE = [
    "import os, stat, sys",
    "try:",
    "    kind = 'dir' if stat.S_ISDIR(os.stat(sys.argv[1]).st_mode) else 'file'",
    "except (FileNotFoundError, NotADirectoryError):",
    "    kind = 'missing'",
    "except OSError:",
    "    kind = 'unknown'",
    "print(kind, os.getcwd(), sep='\\t')",
].join("\n");

/** Whether `inner` is `outer` or lies under it (POSIX paths). */
function isWithin(inner: string, outer: string): boolean {
    const relative = path.posix.relative(outer, inner);
    return relative === "" || (!relative.startsWith("..") && !path.posix.isAbsolute(relative));
}

/**
 * The sourcePaths that can be looked for in their images: those of measured services whose image is named now
 * (one built in the program is not there yet), and that no mount of the service puts there.
 */
export function imageSourceChecks(services: ResolvedService[]): SourceCheck[] {
    return services.flatMap((s, i) => {
        if (!s.instrument || typeof s.image !== "string" || typeof s.sourcePath !== "string") return [];
        if (s.mounts.some((m) => typeof m.target === "string" && isWithin(s.sourcePath!, m.target))) return [];
        return [{ where: `services[${i}]`, service: s.name, image: s.image, sourcePath: s.sourcePath, user: s.user }];
    });
}

/**
 * Looks at the sourcePath in a throwaway container of the image, running the image's python3 on a few lines of
 * code instead of the app: no network, nothing pulled, removed by the engine itself when it ends (even if this
 * program is killed). Runs docker without a shell.
 */
export function probeSourcePath(check: SourceCheck, engineEnv: Record<string, string>): CommandResult {
    const user = check.user === undefined ? [] : ["--user", check.user];
    const args = [
        ...["run", "--rm", "--network", "none", "--pull", "never", "--log-driver", "none"],
        ...["--entrypoint", "python3", ...user, check.image, "-I", "-S", "-c", PROBE, check.sourcePath],
    ];
    try {
        return docker(args, { env: engineEnv });
    } catch (err) {
        if (!(err instanceof DockerCommandError)) throw err;
        // A probe that failed or did not end tells nothing (sourcePathProblem then says nothing).
        return { status: err.exitCode, stdout: "", stderr: err.stderr };
    }
}

/** What a probe answers for: the image (by ID, so a rebuilt image is probed again), the folder, whom it runs as. */
export function sourceCheckKey(imageId: string, sourcePath: string, user: string): string {
    return JSON.stringify([imageId, sourcePath, user]);
}

/**
 * The sourceCheckKeys an earlier run of the stack already answered: a service container of the stack (its labels
 * say whose) names the sourcePath it was checked for, the image it was made from and the user it runs as (the
 * image's own unless it was given one), and no mount of its covers the folder. The run that made it probed that
 * folder in that image before it declared the container, and found it there (or could not tell): an image's
 * files never change under its ID, so the answer holds, and the probe (a container start) is not run again.
 */
export function checkedSources(inspected: string, owner: { stack: string; project: string }): Set<string> {
    return new Set(
        inspected.split("\n").flatMap((line) => {
            const [, stack, project, imageId, user, sourcePath, mountsJson] = line.split("\t");
            if (stack !== owner.stack || project !== owner.project || !imageId || !sourcePath) return [];
            let mounts: Array<{ Destination?: string }>;
            try {
                mounts = (JSON.parse(mountsJson ?? "") as Array<{ Destination?: string }> | null) ?? [];
            } catch {
                return [];
            }
            if (mounts.some((m) => m.Destination !== undefined && isWithin(sourcePath, m.Destination))) return [];
            return [sourceCheckKey(imageId, sourcePath, user ?? "")];
        }),
    );
}

/**
 * The problem the probe found with a sourcePath, if any. Says nothing when the probe could not tell (an image
 * without python3 on its PATH, say): the run then finds out as it did before.
 */
export function sourcePathProblem(check: SourceCheck, result: CommandResult): string | undefined {
    if (result.status !== 0) return undefined;
    const [kind, workingDir] = result.stdout.trim().split("\t");
    const subject = `${check.where}.sourcePath ${check.sourcePath} (service ${check.service})`;
    if (kind === "missing")
        return (
            `${subject} does not exist in image ${check.image}: give the folder inside the image that holds the ` +
            `service's Python code (the image's working directory is ${workingDir})`
        );
    if (kind === "file")
        return (
            `${subject} is a file in image ${check.image}, not a folder: give the folder that holds it ` +
            `(${path.posix.dirname(check.sourcePath)})`
        );
    return undefined;
}

/** Every container name the stack's objects take: its services', and coverage-spy's own. */
export function stackContainerNames(stack: string, services: Array<{ name: string }>): string[] {
    return [...services.map((s) => s.name), ...OWN_CONTAINERS].map((name) => stackObjectName(stack, name));
}

/**
 * "NAME<TAB>STACK LABEL<TAB>PROJECT LABEL<TAB>IMAGE ID<TAB>USER<TAB>SOURCE PATH LABEL<TAB>MOUNTS (JSON)" of each
 * container that holds one of `names` (the others are absent): whose name it is, and what an earlier run's service
 * container proves of its image (checkedSources).
 */
export function inspectContainerNames(names: string[], engineEnv: Record<string, string>): string {
    const format = [
        "{{.Name}}",
        ...[LABEL_STACK, LABEL_PROJECT].map((label) => `{{index .Config.Labels "${label}"}}`),
        "{{.Image}}",
        "{{.Config.User}}",
        `{{index .Config.Labels "${LABEL_SOURCE_PATH}"}}`,
        "{{json .Mounts}}",
    ].join("\t");
    try {
        // Exits 1 when a name is free, which most are: only what it prints counts.
        return docker(["container", "inspect", "--format", format, ...names], { env: engineEnv, answers: [1] }).stdout;
    } catch (err) {
        if (!(err instanceof DockerCommandError)) throw err;
        // An engine that cannot say tells nothing: the container's create names a taken name as it did before.
        return "";
    }
}

/**
 * A container that holds a name the stack needs but is not the stack's own (its labels name another stack or
 * project, or none): Docker would refuse the stack's container only after the volume and network were made.
 * Containers of this stack that its state lost are recovery's part, not a problem here.
 */
export function foreignContainerProblems(
    names: string[],
    inspected: string,
    owner: { stack: string; project: string },
    dockerHost?: string,
): string[] {
    const engine = dockerHost === undefined ? "" : ` (with DOCKER_HOST=${dockerHost})`;
    return inspected
        .split("\n")
        .map((line) => line.split("\t"))
        .flatMap(([rawName, stack = "", project = ""]) => {
            const name = rawName.replace(/^\//, "");
            if (!names.includes(name) || (stack === owner.stack && project === owner.project)) return [];
            const label = (value: string) => (value === "" ? "none" : shownValue(value));
            const whose =
                stack === "" && project === ""
                    ? "it has no coverage-spy labels"
                    : `its labels say stack ${label(stack)}, project ${label(project)}`;
            return [
                `container name ${name} is taken by a container that is not this stack's (${whose}): if you no longer ` +
                    `need it, remove it with docker rm -f ${name}${engine}; else run coverage-spy under another stack name`,
            ];
        });
}
