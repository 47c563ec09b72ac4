import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ASSETS_DIR, DATA_DIR, HARVEST_SCRIPT, LIB_DIR, SPY_ROOT } from "../../shared/layout";
import { INSTALL_SCRIPT, SPY_VOLUME } from "../spyVolume";
import { COVERAGERC_KEY } from "./coveragercConfigMap";
import { ImagePullPolicy, SHIPPER_SCRIPT } from "./objectBasics";

/** The pod's data folder (an emptyDir): the app's spy writes into it, the shipper reads it. */
export const DATA_VOLUME = "coverage-data";
/** The stack's ConfigMap holding the rcfile, for the shipper's install hook. */
export const COVERAGERC_VOLUME = "coveragerc";
export const SHIPPER_CONTAINER = "shipper";
/**
 * How long the shipper keeps trying after SIGTERM while the collector does not answer (its --final-timeout): the
 * spike's value, far above a last round's usual second.
 */
export const SHIPPER_FINAL_TIMEOUT_SECONDS = 20;
/** What the kubelet's own steps (a sidecar's SIGTERM after the app's exit, container teardown) may take. */
export const GRACE_MARGIN_SECONDS = 5;

/** Where the shipper's install hook sees the pod's two emptyDirs (writable) and the ConfigMap. */
const SPY_IN_INSTALLER = "/mnt/coverage-spy";
const DATA_IN_INSTALLER = "/mnt/coverage-data";
const RC_IN_INSTALLER = "/mnt/coveragerc";
/** Written last by the install: a later run of the hook (the shipper restarted) leaves the app's files alone. */
const INSTALLED_MARKER = ".installed";

/**
 * Once per pod: the Docker spy volume's install script (spyVolume.ts, arguments 1-4) run on the pod's spy emptyDir,
 * then the rcfile from the ConfigMap (argument 5; the script's own rcfile argument is left empty) and `harvest.py
 * init` (argument 6) on the data emptyDir (argument 7), so runs/ exists for every user before the app's first
 * process. The hook runs again whenever the shipper restarts, the app then running on these files: the marker keeps
 * it from emptying them.
 */
const POD_INSTALL_SCRIPT = [
    `[ -e "$1"/${INSTALLED_MARKER} ] && exit 0`,
    INSTALL_SCRIPT,
    'cp "$5" "$1"/config/coveragerc',
    'python3 "$6" init --data-dir "$7"',
    `: > "$1"/${INSTALLED_MARKER}`,
].join("\n");

/** The pod's volumes a measured service adds: the spy's files, its data folder, the rcfile's ConfigMap. */
export function spyVolumes(configMapName: pulumi.Input<string>): k8s.types.input.core.v1.Volume[] {
    return [
        { name: SPY_VOLUME, emptyDir: {} },
        { name: DATA_VOLUME, emptyDir: {} },
        { name: COVERAGERC_VOLUME, configMap: { name: configMapName } },
    ];
}

/**
 * The command that fills the pod's spy emptyDir from the spy image, as the spy volume is filled on Docker: assets/,
 * lib/, config/coveragerc, and the mount points data/ and reports/ (the app mounts the spy folder read-only, so they
 * cannot be made later). Per pod: no volume shared across nodes is needed.
 */
export function spyInstallCommand(): string[] {
    return [
        "sh",
        "-c",
        POD_INSTALL_SCRIPT,
        "sh",
        SPY_IN_INSTALLER,
        ASSETS_DIR,
        LIB_DIR,
        "",
        `${RC_IN_INSTALLER}/${COVERAGERC_KEY}`,
        HARVEST_SCRIPT,
        DATA_IN_INSTALLER,
    ];
}

/** What the shipper of a pod is told. */
export interface ShipperInput {
    spyImage: pulumi.Input<string>;
    imagePullPolicy: ImagePullPolicy;
    collectorUrl: string;
    runId: string;
    service: string;
    /** Seconds between two rounds (the save interval is a good one: a round finds each periodic save). */
    intervalSeconds: number;
}

/** The shipper's command line, exactly as coverage-spy/kubernetes/shipper.py parses it. */
export function shipperCommand(input: ShipperInput): string[] {
    return [
        "python3",
        SHIPPER_SCRIPT,
        "--collector",
        input.collectorUrl,
        "--data-dir",
        DATA_DIR,
        "--run-id",
        input.runId,
        "--service",
        input.service,
        "--interval",
        String(input.intervalSeconds),
        "--final-timeout",
        String(SHIPPER_FINAL_TIMEOUT_SECONDS),
    ];
}

/**
 * The shipper as a native sidecar (an init container that always restarts): it runs beside the app, and the kubelet
 * sends it SIGTERM only after the app's containers exited, so its last round ships what the app saved when it stopped.
 * It ships from the data folder mounted read-only. Its postStart hook installs the spy: the kubelet starts the app
 * only once the hook returned, one container start (and one wait for the kubelet's next look at the pod, up to a
 * second) sooner than an init container before the sidecar would let it.
 */
export function shipperContainer(input: ShipperInput): k8s.types.input.core.v1.Container {
    return {
        name: SHIPPER_CONTAINER,
        image: input.spyImage,
        imagePullPolicy: input.imagePullPolicy,
        restartPolicy: "Always",
        command: shipperCommand(input),
        lifecycle: { postStart: { exec: { command: spyInstallCommand() } } },
        resources: { requests: { cpu: "10m", memory: "32Mi" } },
        volumeMounts: [
            { name: DATA_VOLUME, mountPath: DATA_DIR, readOnly: true },
            { name: SPY_VOLUME, mountPath: SPY_IN_INSTALLER },
            { name: DATA_VOLUME, mountPath: DATA_IN_INSTALLER },
            { name: COVERAGERC_VOLUME, mountPath: RC_IN_INSTALLER, readOnly: true },
        ],
    };
}

/** The app's mounts of a measured service: the spy's files read-only, and its data folder where the spy writes. */
export function appSpyMounts(): k8s.types.input.core.v1.VolumeMount[] {
    return [
        { name: SPY_VOLUME, mountPath: SPY_ROOT, readOnly: true },
        { name: DATA_VOLUME, mountPath: DATA_DIR },
    ];
}

/**
 * The pod's terminationGracePeriodSeconds: the kubelet's one deadline for the whole stop. A measured pod's stop is the
 * app's (stopGraceSeconds), then the shipper's last round (its final timeout), then the kubelet's own steps; a pod
 * that is not measured has the app's only.
 */
export function podGraceSeconds(stopGraceSeconds: number, measured: boolean): number {
    return measured ? stopGraceSeconds + SHIPPER_FINAL_TIMEOUT_SECONDS + GRACE_MARGIN_SECONDS : stopGraceSeconds;
}
