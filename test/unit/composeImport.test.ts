import * as os from "os";
import * as path from "path";
import { ComposeImportError, servicesFromCompose } from "../../components/compose/servicesFromCompose";
import { interpolate } from "../../components/compose/interpolate";
import { parseEnvFile } from "../../components/compose/envFile";
import { durationSeconds, shellWords } from "../../components/compose/composeService";
import { validateStackArgs } from "../../components/validation";
import { stackArgsFromConfig } from "../../components/programConfig";
import { FIXTURES } from "./fixtures";

const COMPOSE = path.join(FIXTURES, "compose");

function problemsOf(fn: () => unknown): string[] {
    try {
        fn();
    } catch (err) {
        if (err instanceof ComposeImportError) return err.problems;
        throw err;
    }
    throw new Error("no ComposeImportError");
}

describe("compose variable substitution", () => {
    const vars = { SET: "value", EMPTY: "", OTHER: "other" };
    it.each([
        ["$SET and ${SET}", "value and value"],
        ["${MISSING:-fallback} ${EMPTY:-fallback} ${SET:-fallback}", "fallback fallback value"],
        ["${MISSING-fallback} ${EMPTY-fallback}", "fallback "],
        ["${SET:+alt} ${EMPTY:+alt} ${MISSING:+alt}", "alt  "],
        ["${SET+alt} ${EMPTY+alt} ${MISSING+alt}", "alt alt "],
        ["${MISSING:-${OTHER}} ${MISSING:-${ALSO:-deep}}", "other deep"],
        ["$$SET costs $$5 and ${SET}$$", "$SET costs $5 and value$"],
        ["trailing $ and $1", "trailing $ and $1"],
        ["${EMPTY?no} ok", " ok"],
    ])("%s", (text, expected) => {
        expect(interpolate(text, vars)).toBe(expected);
    });

    it("reports required variables and blanks", () => {
        expect(() => interpolate("${MISSING:?set it first}", vars)).toThrow("required variable MISSING is missing: set it first");
        expect(() => interpolate("${EMPTY:?}", vars)).toThrow("required variable EMPTY is empty");
        expect(() => interpolate("${MISSING?}", vars)).toThrow("required variable MISSING is missing");
        expect(() => interpolate("${SET", vars)).toThrow('unclosed "${"');
        expect(() => interpolate("${1X}", vars)).toThrow('invalid substitution "${1X}"');
        const blank: string[] = [];
        expect(interpolate("a${NOPE}b$NADA", vars, (n) => blank.push(n))).toBe("ab");
        expect(blank).toEqual(["NOPE", "NADA"]);
    });
});

describe("compose helpers", () => {
    it("splits commands into shell words", () => {
        expect(shellWords(`gunicorn app:wsgi --bind "0.0.0.0:8000" --name 'my app' a\\ b "q\\"x"`))
            .toEqual(["gunicorn", "app:wsgi", "--bind", "0.0.0.0:8000", "--name", "my app", "a b", 'q"x']);
        expect(shellWords(`x ""`)).toEqual(["x", ""]);
        expect(() => shellWords(`"open`)).toThrow('unclosed " in "\\"open"');
    });

    it("reads durations and env files", () => {
        expect([durationSeconds("1m30s"), durationSeconds("90s"), durationSeconds("2h"), durationSeconds("500ms"), durationSeconds("soon")])
            .toEqual([90, 90, 7200, 0.5, null]);
        expect(parseEnvFile("# c\nexport A=1\nB='x $y'\nC=\"a\\\"b\\n\"\nD=v # note\nE\n\n", "f", { E: "from-env" }))
            .toEqual({ A: "1", B: "x $y", C: 'a"b\n', D: "v", E: "from-env" });
        expect(() => parseEnvFile("A='open\n", "f")).toThrow("f:1: unclosed ' quote");
        expect(() => parseEnvFile("not a var=1\n", "f")).toThrow('f:1: "not a var" is not a variable name');
    });
});

describe("servicesFromCompose", () => {
    it("carries over a Django + gunicorn service: .env, env files, healthcheck, user, volumes", () => {
        const dir = path.join(COMPOSE, "django");
        const result = servicesFromCompose({ file: path.join(dir, "docker-compose.yml"), env: { SECRET_KEY: "from-shell" },
            services: { web: { sourcePath: "/srv/shop", hostSourcePath: "/tmp" } } });
        expect(result.services).toEqual([{
            name: "web", image: "shop/web:1.4.2", sourcePath: "/srv/shop", hostSourcePath: "/tmp",
            command: ["gunicorn", "shop.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "4", "--access-logfile", "-"],
            env: {
                ALLOWED_HOSTS: "localhost,127.0.0.1", EMAIL_BACKEND: "django.core.mail.backends.console.EmailBackend", GREETING: 'say "hi"\n',
                CACHE_URL: "redis://cache:6379/1", SECRET_KEY: "from-shell", DJANGO_SETTINGS_MODULE: "shop.settings.production",
                DATABASE_URL: "postgres://shop:p@ss $word@db:5432/shop",
            },
            ports: [{ internal: 8000, external: 8000 }],
            healthcheck: { test: ["CMD", "python3", "-c", "import urllib.request; urllib.request.urlopen('http://localhost:8000/healthz')"],
                interval: "5s", timeout: "3s", retries: 10, startPeriod: "10s" },
            user: "1000:1000",
            mounts: [{ type: "bind", source: path.join(dir, "media"), target: "/srv/media", readOnly: false },
                { type: "volume", source: "static", target: "/srv/static", readOnly: true }],
        }]);
        expect(result.warnings).toEqual(["service web: left out (no effect on what is measured): build, depends_on, restart"]);
    });

    it("carries over a FastAPI + uvicorn service: anchors, defaults, long-form ports and volumes, stop settings", () => {
        const dir = path.join(COMPOSE, "fastapi");
        const result = servicesFromCompose({ file: path.join(dir, "compose.yaml"), env: { RELOAD: "1" }, services: { api: { sourcePath: "/srv/api" } } });
        expect(result.services).toEqual([{
            name: "api", image: "payments/api:2.1", sourcePath: "/srv/api",
            entrypoint: ["/usr/local/bin/entry.sh", "--wait-for", "db:5432"],
            command: ["uvicorn", "api.main:app", "--host", "0.0.0.0", "--port", "8080", "--workers", "2", "--reload"],
            env: { PYTHONUNBUFFERED: "1", LOG_LEVEL: "info" },
            workingDir: "/srv/api",
            ports: [{ internal: 8080, external: 18080 }, { internal: 9100 }],
            mounts: [{ type: "bind", source: path.join(dir, "config"), target: "/srv/api/config", readOnly: true },
                { type: "volume", source: "uploads", target: "/srv/uploads", readOnly: false }],
            healthcheck: { test: ["CMD-SHELL", "curl -fsS http://localhost:8080/health || exit 1"], interval: "2s" },
            stopSignal: "SIGINT", stopGraceSeconds: 90,
        }]);
        expect(result.warnings).toEqual([
            "service api: left out (no effect on what is measured): labels",
            "service api: port 8080 is published on 127.0.0.1, not 0.0.0.0",
            'service api: volumes: "/tmp/scratch": an anonymous volume is left out',
        ]);
        // What it produces is valid coverage-spy input.
        expect(() => validateStackArgs({ services: result.services, testCommand: "pytest", coverageLibDir: undefined })).not.toThrow();
    });

    it("reads the base file of the overlay pattern, and the overlay has no image to measure", () => {
        const dir = path.join(COMPOSE, "overlay");
        expect(servicesFromCompose({ file: path.join(dir, "compose.yaml"), services: { app: { sourcePath: "/app" } } }).services).toEqual([{
            name: "app", image: "app:prod", sourcePath: "/app", command: ["python", "-m", "app.server"], ports: [{ internal: 8000, external: 8000 }],
        }]);
        expect(problemsOf(() => servicesFromCompose({ file: path.join(dir, "compose.coverage.yaml"), services: { app: { sourcePath: "/app" } } })))
            .toEqual(["service app has no image"]);
    });

    it("lists every problem at once", () => {
        const file = path.join(COMPOSE, "errors", "compose.yaml");
        expect(problemsOf(() => servicesFromCompose({ file, env: {}, services: {
            worker: { sourcePath: "/w" }, api: { sourcePath: "/a" }, edge: { sourcePath: "/e" }, missing: { sourcePath: "/m" },
        } }))).toEqual([
            "service worker is build-only: build and tag its image first (docker compose build), then name it with image:",
            "service api: required variable API_TAG is missing: API_TAG is required",
            "service edge: network_mode cannot be carried over (it changes how the service runs)",
            "service edge: extends cannot be carried over (it changes how the service runs)",
            "service edge: unknown key imagee",
            'service edge: ports: "5353:5353/udp": only tcp ports can be published, not udp',
            'service edge: ports: "8000-8002:8000-8002": port ranges cannot be carried over: list each port',
            'service edge: volumes: {"type":"tmpfs","target":"/cache"}: only bind and volume mounts can be carried over',
            "no service missing (the file has: api, edge, worker)",
        ]);
    });

    it("says what is wrong with the file itself", () => {
        expect(problemsOf(() => servicesFromCompose({ file: path.join(os.tmpdir(), "nope.yaml"), services: {} }))).toEqual(["the file does not exist"]);
        expect(problemsOf(() => servicesFromCompose({ file: path.join(COMPOSE, "django", ".env"), services: {} }))).toEqual(["no services: section"]);
    });
});

describe("a stack's compose config", () => {
    it("adds the compose file's services to the stack's, paths relative to the project", () => {
        const args = stackArgsFromConfig({
            testCommand: "pytest",
            services: [{ name: "extra", image: "x:1", sourcePath: "/x" }],
            compose: { file: "compose/overlay/compose.yaml", services: { app: { sourcePath: "/app", hostSourcePath: "compose/overlay" } } },
        }, FIXTURES);
        expect(args.services.map((s) => [s.name, s.image, s.hostSourcePath])).toEqual([["extra", "x:1", undefined],
            ["app", "app:prod", path.join(COMPOSE, "overlay")]]);
        expect("compose" in args).toBe(false);
    });

    it("names the compose file in its problems", () => {
        expect(() => stackArgsFromConfig({ compose: { file: "compose/errors/compose.yaml", services: { worker: { sourcePath: "/w" } } } }, FIXTURES))
            .toThrow("config: compose compose/errors/compose.yaml: service worker is build-only");
        expect(() => stackArgsFromConfig({ compose: "docker-compose.yml" }, FIXTURES)).toThrow("config: compose must be { file:");
    });
});
