// Runs the coverage stack program with the real Pulumi engine through the Automation API, as an inline program:
// the same program index.ts runs, without needing the pulumi-language-nodejs plugin.
//
//   node bin/scripts/run-stack.js preview|up|destroy [--stack NAME] [--outputs-file FILE]
//
// The stack: --stack, else $COVERAGE_SPY_STACK, else the git branch (components/stacks/stackName.ts).
// Its config is stacks/Pulumi.<stack>.yaml; a stack without one starts from stacks/Pulumi.dev.yaml's.
// `destroy` removes the stack from the backend too (`pulumi destroy --remove`).
// The backend and secrets come from scripts/pulumi-env.sh.
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import * as fs from "fs";
import * as path from "path";
import { coverageStackProgram } from "../components/stackProgram";
import { projectRoot } from "../components/programConfig";
import { chooseStack } from "../components/stacks/stackName";
import { describeLock, readStackLocks, stackLockDir } from "../components/stacks/stackLocks";

const PROJECT = "coverage-spy";
const ACTIONS = ["preview", "up", "destroy", "remove"] as const;
type Action = (typeof ACTIONS)[number];
const log = (line: string) => process.stderr.write(`[coverage-spy] ${line}\n`);

function parseArgs(argv: string[]): { action: Action; stack?: string; outputsFile?: string } {
    const [action, ...rest] = argv;
    if (!ACTIONS.includes(action as Action)) throw new Error(`usage: run-stack ${ACTIONS.join("|")} [--stack NAME] [--outputs-file FILE]`);
    let stack: string | undefined;
    let outputsFile: string | undefined;
    for (let i = 0; i < rest.length; i += 2) {
        if (rest[i] === "--stack") stack = rest[i + 1];
        else if (rest[i] === "--outputs-file") outputsFile = rest[i + 1];
        else throw new Error(`unknown option ${rest[i]}`);
    }
    return { action: action as Action, stack, outputsFile };
}

/** A branch stack without its own config starts from the base stack's (stacks/Pulumi.dev.yaml). */
function ensureStackConfig(root: string, stack: string): void {
    const file = path.join(root, "stacks", `Pulumi.${stack}.yaml`);
    const base = path.join(root, "stacks", "Pulumi.dev.yaml");
    if (fs.existsSync(file) || !fs.existsSync(base)) return;
    fs.writeFileSync(file, `# Copied from stacks/Pulumi.dev.yaml by coverage-spy for stack ${stack}; edit it to differ.\n${fs.readFileSync(base, "utf8")}`);
    log(`stack ${stack} has no config of its own: using a copy of stacks/Pulumi.dev.yaml (stacks/Pulumi.${stack}.yaml)`);
}

/** The engine's lock error, said plainly: who holds the lock, and how to clear it if its holder is gone. */
function explainLock(message: string, stack: string): string | null {
    if (!message.includes("the stack is currently locked")) return null;
    const locks = readStackLocks(stackLockDir(process.env.PULUMI_BACKEND_URL ?? "", PROJECT, stack));
    return [
        `stack ${stack} is locked by another update:`,
        ...(locks.length > 0 ? locks.map((l) => `  ${describeLock(l)}  (${l.file})`) : ["  (the lock is gone now: try again)"]),
        "Wait for that update to finish. If its process was killed, clear the stale lock with:",
        `  npm run coverage:unlock -- --stack ${stack}`,
    ].join("\n");
}

async function main(): Promise<void> {
    const args = parseArgs(process.argv.slice(2));
    if (!process.env.PULUMI_BACKEND_URL) throw new Error("source scripts/pulumi-env.sh first (PULUMI_BACKEND_URL is unset)");
    const root = projectRoot(__dirname);
    const { stack: stackName, reason } = chooseStack(args.stack, process.env, root);
    log(`stack ${stackName} (${reason})`);
    if (args.action === "preview" || args.action === "up") ensureStackConfig(root, stackName);
    const stack = await LocalWorkspace.createOrSelectStack(
        { stackName, projectName: PROJECT, program: async () => coverageStackProgram(root) },
        { workDir: root },
    );
    const onOutput = (line: string) => process.stdout.write(line);
    try {
        if (args.action === "preview") {
            await stack.preview({ onOutput });
        } else if (args.action === "up") {
            const result = await stack.up({ onOutput });
            const outputs = Object.fromEntries(Object.entries(result.outputs).map(([k, v]) => [k, v.value]));
            if (args.outputsFile) fs.writeFileSync(path.resolve(args.outputsFile), JSON.stringify(outputs, null, 2));
        } else {
            await stack.destroy({ onOutput });
            await stack.workspace.removeStack(stackName);
            log(`stack ${stackName} destroyed and removed from the backend`);
        }
    } catch (err) {
        const lock = explainLock((err as Error).message, stackName);
        if (lock) throw new Error(lock);
        throw err;
    }
}

main().catch((err: Error) => {
    // The engine's own output (diagnostics included) was already printed; the message repeats its summary.
    process.stderr.write(`\n[coverage-spy] ${err.message.split("\n").slice(0, 60).join("\n")}\n`);
    process.exit(1);
});
