import * as pulumi from "@pulumi/pulumi";
import { spyDockerBuild } from "../../engine/spyImage";
import { shownWord } from "../../shared/shell";
import type { ImageNeed, RunPlan } from "../planRun";
import type { RunEngine } from "../runEngine";
import { NodeJson, acceptsPods } from "./nodeAddress";

/** kubelet's default --node-status-max-images: a node listing this many images may hold more than it lists. */
export const NODE_STATUS_MAX_IMAGES = 50;

/** Who uses coverage-spy's own spy image on the cluster. */
const SPY_OWNER = "the spy: measured pods' shipper sidecar, the collector and its harvest";

/**
 * The name a node's runtime lists a Docker Hub image under (`x:t` → `docker.io/library/x:t`, `o/x` →
 * `docker.io/o/x:latest`); undefined for an image named by a registry host or a digest, which the nodes pull
 * themselves.
 */
export function nodeImageName(image: string): string | undefined {
    if (image.includes("@")) return undefined;
    const parts = image.split("/");
    if (parts.length > 1 && /[.:]/.test(parts[0])) return undefined;
    if (parts.length > 1 && parts[0] === "localhost") return undefined;
    const tagged = parts[parts.length - 1].includes(":") ? image : `${image}:latest`;
    return parts.length === 1 ? `docker.io/library/${tagged}` : `docker.io/${tagged}`;
}

/** Every image the run's pods use: the services' (plain names only: an Output image is built later) and the spy's. */
export function imagesThePodsNeed(plan: Pick<RunPlan<RunEngine>, "imageNeeds" | "spyImage">): ImageNeed[] {
    const spy = plan.spyImage.recipe !== undefined ? [{ owner: SPY_OWNER, image: plan.spyImage.image }] : [];
    return [...plan.imageNeeds, ...spy];
}

/** The kind cluster the nodes belong to, read from their providerID (kind://docker/CLUSTER/NODE); else undefined. */
export function kindClusterOf(nodes: NodeJson[]): string | undefined {
    for (const node of nodes) {
        const match = /^kind:\/\/[^/]+\/([^/]+)\//.exec(node.spec?.providerID ?? "");
        if (match) return match[1];
    }
    return undefined;
}

/** An image the pods use that some node they can go to does not list. */
export interface AbsentImage {
    image: string;
    owners: string[];
    /** The nodes that do not list it. */
    nodes: string[];
}

/** Images absent from nodes with a full list (refused), and absent only from nodes whose list may be cut (warned). */
export interface NodeImageCheck {
    missing: AbsentImage[];
    unsure: AbsentImage[];
}

function nodeName(node: NodeJson): string {
    return node.metadata?.name ?? "(unnamed node)";
}

/** Every need's image once, with every owner that named it. */
function ownersByImage(needs: ImageNeed[]): Map<string, string[]> {
    const owners = new Map<string, string[]>();
    for (const need of needs) owners.set(need.image, [...(owners.get(need.image) ?? []), need.owner]);
    return owners;
}

/** Which needed images the nodes the pods can go to do not list: every such node must hold every image. */
export function checkNodeImages(needs: ImageNeed[], nodes: NodeJson[]): NodeImageCheck {
    const targets = nodes.filter(acceptsPods).map((node) => {
        const images = node.status?.images ?? [];
        return {
            name: nodeName(node),
            listed: new Set(images.flatMap((i) => i.names ?? [])),
            // A list at the kubelet's cap may leave out images the node holds; none at all: a kubelet that reports
            // none (--node-status-max-images=0), as every node holds at least the pause image.
            complete: images.length > 0 && images.length < NODE_STATUS_MAX_IMAGES,
        };
    });
    const check: NodeImageCheck = { missing: [], unsure: [] };
    for (const [image, owners] of ownersByImage(needs)) {
        const listedAs = nodeImageName(image);
        if (listedAs === undefined) continue;
        const lacking = targets.filter((t) => !t.listed.has(listedAs));
        if (lacking.length === 0) continue;
        const absent = { image, owners, nodes: lacking.map((t) => t.name) };
        (lacking.some((t) => t.complete) ? check.missing : check.unsure).push(absent);
    }
    return check;
}

function absentLines(absent: AbsentImage[]): string[] {
    return absent.map((a) => `  - ${a.image} (${a.owners.join(", ")}): not on ${a.nodes.join(", ")}`);
}

/** How the images get onto the nodes: kind's load for a kind cluster, a registry for any other. */
function loadAdvice(images: string[], kindCluster: string | undefined, spy: RunPlan<RunEngine>["spyImage"]): string[] {
    const quoted = images.map(shownWord).join(" ");
    const lines: string[] = [];
    if (spy.recipe !== undefined && images.includes(spy.image))
        lines.push(
            `${spy.image} is coverage-spy's own spy image: unless this machine's Docker engine has it ` +
                `(docker image inspect ${shownWord(spy.image)}), build it there first: ` +
                spyDockerBuild(spy.image, spy.recipe, shownWord),
        );
    const load = `kind load docker-image ${quoted} --name ${shownWord(kindCluster ?? "CLUSTER")}`;
    lines.push(
        kindCluster !== undefined
            ? `Load them from this machine's Docker engine into the kind cluster's nodes: ${load}`
            : `On a kind cluster, load them from this machine's Docker engine: ${load}.`,
        (kindCluster !== undefined ? "On another cluster" : "On any other cluster") +
            ", push them to a registry the nodes pull from and name them by it (registry.example.com/app:tag) in the " +
            "options: such images are pulled by the nodes and not checked here.",
        // The kubelet lists a new image in its node's status some seconds after it got it (up to about 40 s).
        "Images loaded in the last minute may not be listed yet: if so, run again.",
    );
    return lines;
}

/** The refusal: every image missing from a node, and how to put it there. */
export function missingImagesMessage(
    missing: AbsentImage[],
    nodes: NodeJson[],
    spy: RunPlan<RunEngine>["spyImage"],
): string {
    return [
        "coverage-spy: the cluster's nodes lack images the pods need (the services' images are loaded into the " +
            "nodes, never rebuilt; a node would try to pull them from Docker Hub and the pods would never start):",
        ...absentLines(missing),
        ...loadAdvice(
            missing.map((m) => m.image),
            kindClusterOf(nodes),
            spy,
        ),
    ].join("\n");
}

/** The warning: images absent only from nodes whose list may be cut (at the kubelet's cap, or empty). */
export function unsureImagesMessage(
    unsure: AbsentImage[],
    nodes: NodeJson[],
    spy: RunPlan<RunEngine>["spyImage"],
): string {
    return [
        "coverage-spy: nodes the pods can go to do not list these images, but their lists may be incomplete (a " +
            `kubelet lists at most ${NODE_STATUS_MAX_IMAGES} images by default, --node-status-max-images, and none ` +
            "when it is 0), so they may hold them; if the pods wait in ErrImagePull or ImagePullBackOff, the images " +
            "are missing:",
        ...absentLines(unsure),
        ...loadAdvice(
            unsure.map((m) => m.image),
            kindClusterOf(nodes),
            spy,
        ),
    ].join("\n");
}

/**
 * Refuses a run whose pods would wait forever for an image their nodes lack (before anything is created), and warns
 * when a node's cut-off list cannot tell.
 */
export function requireImagesOnNodes(
    component: pulumi.Resource,
    plan: Pick<RunPlan<RunEngine>, "imageNeeds" | "spyImage">,
    nodes: NodeJson[],
): void {
    const { missing, unsure } = checkNodeImages(imagesThePodsNeed(plan), nodes);
    if (missing.length > 0) throw new Error(missingImagesMessage(missing, nodes, plan.spyImage));
    if (unsure.length > 0) void pulumi.log.warn(unsureImagesMessage(unsure, nodes, plan.spyImage), component);
}
