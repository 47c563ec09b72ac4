import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { SPY_ROOT } from "../shared/layout";

/** What gives a container the spy's files: the stack's spy volume (components/engine/spyVolume.ts). */
export interface SpyFileMounts {
    mounts: docker.types.input.ContainerMount[];
    volumes: docker.types.input.ContainerVolume[];
}

/** Where the spy's files come from: the stack's spy volume, on every engine. */
export interface SpySource {
    volumeName: pulumi.Input<string>;
}

/** The parts of /opt/coverage-spy a container uses (the volume holds them all, at the same paths). */
export type SpyParts = Array<"assets" | "lib" | "config">;

/**
 * The spy's files for a container, read-only: the spy volume at /opt/coverage-spy, holding assets/, lib/ and
 * config/ where every container looks for them (and data/, where the data volume is mounted). `parts` says what the
 * container uses; the volume brings every part, the same on a local and a remote engine.
 */
export function spyFileMounts(source: SpySource, parts: SpyParts): SpyFileMounts {
    void parts;
    return { mounts: [], volumes: [{ volumeName: source.volumeName, containerPath: SPY_ROOT, readOnly: true }] };
}
