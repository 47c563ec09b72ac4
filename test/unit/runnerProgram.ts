import * as fs from "fs";
import * as http from "http";
import { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import * as ts from "typescript";
import { ScriptService } from "../../components/testRun/testRunScript";

const RUNNER_SOURCES = path.join(__dirname, "..", "..", "components", "testRun", "runner");
let compiled: string | undefined;

/**
 * The runner's programs (components/testRun/runner/), as JavaScript Node runs: each module transpiled alone (types
 * are the type check's part), once per test file, into a folder of its own. The runner imports nothing from outside
 * its folder (engines/ included), so the folder runs as it is.
 */
export function runnerProgram(entry: "testRunMain" | "waitReadyMain" | "copyReportsMain"): string {
    if (compiled === undefined) {
        compiled = fs.mkdtempSync(path.join(os.tmpdir(), "coverage-spy-runner-"));
        const files = fs.readdirSync(RUNNER_SOURCES, { recursive: true, encoding: "utf8" });
        for (const file of files.filter((f) => f.endsWith(".ts"))) {
            const source = fs.readFileSync(path.join(RUNNER_SOURCES, file), "utf8");
            const { outputText } = ts.transpileModule(source, {
                compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020 },
                fileName: file,
            });
            fs.mkdirSync(path.dirname(path.join(compiled, file)), { recursive: true });
            fs.writeFileSync(path.join(compiled, file.replace(/\.ts$/, ".js")), outputText);
        }
        const dir = compiled;
        afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
    }
    return path.join(compiled, `${entry}.js`);
}

/**
 * A service as a run's description gives it to the runner, with the values the runner's tests share (container
 * `cs-unit-<name>`, source /app, an HTTP readiness probe of "/"); `more` sets any other.
 */
export function scriptService(name: string, more: Partial<ScriptService> = {}): ScriptService {
    return {
        name,
        containerName: `cs-unit-${name}`,
        sourcePath: "/app",
        readinessPath: "/",
        readinessTimeoutSeconds: 30,
        hasHealthcheck: false,
        stopGraceSeconds: 1,
        stopWave: 0,
        ...more,
    };
}

/** An HTTP server in this process answering `status` on every path; resolves once it listens on 127.0.0.1. */
export async function answering(status: number): Promise<{ url: string; server: http.Server }> {
    const server = http.createServer((req, res) => {
        res.writeHead(status, { "Content-Length": "0" });
        res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** Closes a server of `answering`, its open connections too; resolves once it is closed. */
export function closed(server: http.Server): Promise<void> {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(() => resolve()));
}
