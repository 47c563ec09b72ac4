import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import { RCFILE } from "../../shared/layout";
import { COVERAGERC_CONFIG_MAP_NAME } from "./names";

/** The ConfigMap's key: mounted as a folder, it is the rcfile's name there (CONFIG_DIR/coveragerc). */
export const COVERAGERC_KEY = path.posix.basename(RCFILE);

export interface CoveragercConfigMapInput {
    namespace: pulumi.Input<string>;
    labels: Record<string, string>;
    /** The generated .coveragerc's text (components/config/coveragerc.ts). */
    coveragerc: string;
}

/**
 * The generated .coveragerc of the stack, for the pods: the shipper's install hook copies it into each measured pod's
 * spy folder, the collector mounts it where its harvest reads it.
 */
export function createCoveragercConfigMap(
    name: string,
    input: CoveragercConfigMapInput,
    opts: pulumi.CustomResourceOptions,
): k8s.core.v1.ConfigMap {
    return new k8s.core.v1.ConfigMap(
        `${name}-coveragerc`,
        {
            metadata: { name: COVERAGERC_CONFIG_MAP_NAME, namespace: input.namespace, labels: input.labels },
            data: { [COVERAGERC_KEY]: input.coveragerc },
        },
        opts,
    );
}
