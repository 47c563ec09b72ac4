// Runs the coverage stack program with the real Pulumi engine through the Automation API, as an inline program:
// the same program index.ts runs, without needing the pulumi-language-nodejs plugin.
//
//   node bin/scripts/run-stack.js preview|up|destroy|remove [--stack NAME] [--outputs-file FILE]
//
// The stack's config is stacks/Pulumi.NAME.yaml; the backend and secrets come from scripts/pulumi-env.sh.
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import * as fs from "fs";
import * as path from "path";
import { coverageStackProgram } from "../components/stackProgram";
import { projectRoot } from "../components/programConfig";

const ACTIONS = ["preview", "up", "destroy", "remove"] as const;
type Action = (typeof ACTIONS)[number];

function parseArgs(argv: string[]): { action: Action; stack: string; outputsFile?: string } {
    const [action, ...rest] = argv;
    if (!ACTIONS.includes(action as Action)) throw new Error(`usage: run-stack ${ACTIONS.join("|")} [--stack NAME] [--outputs-file FILE]`);
    let stack = "dev";
    let outputsFile: string | undefined;
    for (let i = 0; i < rest.length; i += 2) {
        if (rest[i] === "--stack") stack = rest[i + 1];
        else if (rest[i] === "--outputs-file") outputsFile = rest[i + 1];
        else throw new Error(`unknown option ${rest[i]}`);
    }
    return { action: action as Action, stack, outputsFile };
}

async function main(): Promise<void> {
    const { action, stack: stackName, outputsFile } = parseArgs(process.argv.slice(2));
    if (!process.env.PULUMI_BACKEND_URL) throw new Error("source scripts/pulumi-env.sh first (PULUMI_BACKEND_URL is unset)");
    const root = projectRoot(__dirname);
    const stack = await LocalWorkspace.createOrSelectStack(
        { stackName, projectName: "coverage-spy", program: async () => coverageStackProgram(root) },
        { workDir: root },
    );
    const onOutput = (line: string) => process.stdout.write(line);
    if (action === "preview") {
        await stack.preview({ onOutput });
    } else if (action === "up") {
        const result = await stack.up({ onOutput });
        const outputs = Object.fromEntries(Object.entries(result.outputs).map(([k, v]) => [k, v.value]));
        if (outputsFile) fs.writeFileSync(path.resolve(outputsFile), JSON.stringify(outputs, null, 2));
    } else {
        await stack.destroy({ onOutput });
        if (action === "remove") await stack.workspace.removeStack(stackName);
    }
}

main().catch((err: Error) => {
    // The engine's own output (diagnostics included) was already printed; the message repeats its summary.
    process.stderr.write(`\n[coverage-spy] ${err.message.split("\n").slice(0, 60).join("\n")}\n`);
    process.exit(1);
});
