import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as path from "path";
import { SPY_ROOT } from "../layout";
import { stackObjectName, toLabelList } from "../naming";
import { createOneShot } from "../harvester/harvester";
import { shellQuote } from "../shell";
import { SpyHostFolders } from "./spyFiles";

/** The host script that packs the spy's files (coverage-spy/bundle.py). */
const BUNDLE_SCRIPT = "bundle.py";
/** Where the bundle is uploaded in the install container. */
const BUNDLE_IN_CONTAINER = "/tmp/coverage-spy-bundle.tar";
/** The install container's label holding what it installed: a new value replaces (and so re-runs) it. */
const LABEL_SPY_DIGEST = "coverage-spy.spy-digest";
export const SPY_VOLUME = "spy";
export const SPY_INSTALL_CONTAINER = "spy-install";

export interface SpyVolumeInput {
    stack: string;
    labels: Record<string, string>;
    /** The harvester image: the install container needs only sh, find and tar from it. */
    image: string;
    host: SpyHostFolders;
    /** The generated .coveragerc's text (the file in host.configDir is written during the update, not at preview). */
    coveragerc: string;
    /** Host folder for the bundle (the stack's report folder). */
    workDir: string;
}

/**
 * What the bundle would hold, read now (at preview too, reading only): the assets and coverage.py as bundle.py
 * packs them, and the rcfile's text. Equal digests mean the spy volume already holds these files.
 */
export function spyDigest(input: SpyVolumeInput): string {
    const script = path.join(input.host.assetsDir, BUNDLE_SCRIPT);
    const args = ["-I", script, "hash", "--assets", input.host.assetsDir, "--lib", input.host.coverageLibDir];
    const result = spawnSync("python3", args, { encoding: "utf8", timeout: 120_000 });
    if (result.error || result.status !== 0)
        throw new Error(
            `coverage-spy: cannot read the spy's files for the remote engine (python3 ${args.join(" ")}): ` +
                (result.error?.message ?? result.stderr.trim()),
        );
    return crypto.createHash("sha256").update(result.stdout.trim()).update("\0").update(input.coveragerc).digest("hex");
}

/**
 * The spy's files on an engine that cannot see this machine's folders: a volume holding /opt/coverage-spy's
 * assets/, lib/ and config/ (and data/, where the data volume is mounted), filled by a one-shot container from a
 * tar uploaded through the engine. Volume and container outlive runs: the container is replaced, and the volume
 * filled again, only when a file changed (its digest label), so a warm run pays nothing for it.
 */
export function createSpyVolume(
    name: string,
    input: SpyVolumeInput,
    after: pulumi.Resource[],
    opts: pulumi.CustomResourceOptions,
): { volume: docker.Volume; installed: docker.Container } {
    const digest = spyDigest(input);
    const bundle = path.join(input.workDir, "engine", "spy-bundle.tar");
    const { assetsDir, coverageLibDir, configDir } = input.host;
    const pack = new command.local.Command(
        `${name}-spy-bundle`,
        {
            create: [
                "python3",
                "-I",
                path.join(assetsDir, BUNDLE_SCRIPT),
                "write",
                "--assets",
                assetsDir,
                "--lib",
                coverageLibDir,
                "--config",
                path.join(configDir, "coveragerc"),
                "--out",
                bundle,
            ]
                .map(shellQuote)
                .join(" "),
            triggers: [digest],
            addPreviousOutputInEnv: false,
        },
        pulumi.mergeOptions(opts, { dependsOn: after }),
    );
    const volume = new docker.Volume(
        `${name}-${SPY_VOLUME}`,
        { name: stackObjectName(input.stack, SPY_VOLUME), labels: toLabelList(input.labels) },
        opts,
    );
    // No run id, the digest instead: replaced (the volume filled again) only when a packed file changed.
    const installed = createOneShot(
        `${name}-${SPY_INSTALL_CONTAINER}`,
        SPY_INSTALL_CONTAINER,
        SPY_INSTALL_CONTAINER,
        { stack: input.stack, image: input.image, labels: { ...input.labels, [LABEL_SPY_DIGEST]: digest } },
        {
            // Empties the volume first: a file the new bundle no longer has must not stay behind.
            command: [
                "sh",
                "-c",
                'find "$2" -mindepth 1 -delete && tar -xf "$1" -C "$2"',
                "sh",
                BUNDLE_IN_CONTAINER,
                SPY_ROOT,
            ],
            uploads: [{ file: BUNDLE_IN_CONTAINER, source: bundle }],
            volumes: [{ volumeName: volume.name, containerPath: SPY_ROOT }],
            user: "0:0",
        },
        pulumi.mergeOptions(opts, { dependsOn: [pack] }),
    );
    return { volume, installed };
}
