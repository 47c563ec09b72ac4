import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as crypto from "crypto";
import { ASSETS_DIR, LIB_DIR } from "../shared/layout";
import { LABEL_ROLE, SPY_INSTALL_CONTAINER, stackObjectName, toLabelList } from "../shared/naming";
import { createOneShot } from "./oneShot";

/** The install container's label holding what it installed: a new value replaces (and so re-runs) it. */
const LABEL_SPY_DIGEST = "coverage-spy.spy-digest";
/** Where the install container mounts the spy volume: beside the spy image's own /opt/coverage-spy. */
const VOLUME_IN_INSTALLER = "/mnt/coverage-spy-volume";
export const SPY_VOLUME = "spy";

/**
 * Fills the volume (argument 1) from the spy image's /opt/coverage-spy (arguments 2 and 3: assets, lib), writes
 * the rcfile (argument 4) and makes the mount points under it. Empties the volume first: a file the new image no
 * longer has must not stay behind. Services run as any user: everything readable by all.
 */
export const INSTALL_SCRIPT = [
    "set -e",
    'find "$1" -mindepth 1 -delete',
    'cp -a "$2" "$3" "$1"/',
    // Mount points of the data volume and of the host's report folder: the spy volume is mounted read-only.
    'mkdir "$1"/config "$1"/data "$1"/reports',
    'printf "%s" "$4" > "$1"/config/coveragerc',
    'chmod -R a+rX "$1"',
].join("\n");

export interface SpyVolumeInput {
    stack: string;
    labels: Record<string, string>;
    /** The spy image: the files come from it. */
    image: pulumi.Input<string>;
    /**
     * What the spy image holds, known at preview: its content hash (a built image's tag) or its ID (an image
     * given by name). Equal identities hold equal files.
     */
    imageIdentity: pulumi.Input<string>;
    /** The generated .coveragerc's text. */
    coveragerc: string;
}

/** What the spy volume holds: the image's files and the rcfile. Equal digests: nothing to install again. */
export function spyDigest(imageIdentity: string, coveragerc: string): string {
    return crypto.createHash("sha256").update(imageIdentity).update("\0").update(coveragerc).digest("hex");
}

/**
 * The spy's files on the engine, the same on every engine: a volume holding /opt/coverage-spy's assets/, lib/ and
 * config/ (and data/ and reports/, where the data volume and the host's report folder are mounted), filled by a
 * one-shot container of the spy image. Volume and container outlive runs: the container is replaced, and the volume
 * filled again, only when the image or the rcfile changed (its digest label), so a warm run pays nothing for it.
 */
export function createSpyVolume(
    name: string,
    input: SpyVolumeInput,
    opts: pulumi.CustomResourceOptions,
): { volume: docker.Volume; installed: docker.Container } {
    const volume = new docker.Volume(
        `${name}-${SPY_VOLUME}`,
        { name: stackObjectName(input.stack, SPY_VOLUME), labels: toLabelList(input.labels) },
        opts,
    );
    const digest = pulumi.output(input.imageIdentity).apply((identity) => spyDigest(identity, input.coveragerc));
    // No run id, the digest instead: replaced (the volume filled again) only when the files changed.
    const installed = createOneShot(
        `${name}-${SPY_INSTALL_CONTAINER}`,
        SPY_INSTALL_CONTAINER,
        SPY_INSTALL_CONTAINER,
        { stack: input.stack, image: input.image, labels: input.labels },
        {
            command: ["sh", "-c", INSTALL_SCRIPT, "sh", VOLUME_IN_INSTALLER, ASSETS_DIR, LIB_DIR, input.coveragerc],
            labels: digest.apply((d) =>
                toLabelList({ ...input.labels, [LABEL_SPY_DIGEST]: d, [LABEL_ROLE]: SPY_INSTALL_CONTAINER }),
            ),
            volumes: [{ volumeName: volume.name, containerPath: VOLUME_IN_INSTALLER }],
            user: "0:0",
            networkMode: "none",
        },
        opts,
    );
    return { volume, installed };
}
