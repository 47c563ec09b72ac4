import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { ASSETS_DIR, CONFIG_DIR, LIB_DIR, SPY_ROOT } from "../layout";

/** Host folders holding the spy's files, as a local engine bind-mounts them. */
export interface SpyHostFolders {
    assetsDir: string;
    coverageLibDir: string;
    configDir: string;
}

/** What gives a container the spy's files: bind mounts of host folders, or the spy volume the engine holds. */
export interface SpyFileMounts {
    mounts: docker.types.input.ContainerMount[];
    volumes: docker.types.input.ContainerVolume[];
}

/** Where the spy's files come from: host folders a local engine bind-mounts, or the spy volume a remote one holds. */
export type SpySource = { host: SpyHostFolders } | { volumeName: pulumi.Input<string> };

/** The parts of /opt/coverage-spy a container needs. */
export type SpyParts = Array<"assets" | "lib" | "config">;

const PART_TARGETS = { assets: ASSETS_DIR, lib: LIB_DIR, config: CONFIG_DIR } as const;

/**
 * The spy's files for a container, read-only. A local engine bind-mounts the host folders, each part where it
 * belongs; a remote engine mounts the spy volume (components/engine/spyVolume.ts) at /opt/coverage-spy, which
 * holds every part at the same paths.
 */
export function spyFileMounts(source: SpySource, parts: SpyParts): SpyFileMounts {
    if ("volumeName" in source)
        return { mounts: [], volumes: [{ volumeName: source.volumeName, containerPath: SPY_ROOT, readOnly: true }] };
    const folders = { assets: source.host.assetsDir, lib: source.host.coverageLibDir, config: source.host.configDir };
    return {
        mounts: parts.map((part) => ({
            type: "bind",
            source: folders[part],
            target: PART_TARGETS[part],
            readOnly: true,
        })),
        volumes: [],
    };
}
