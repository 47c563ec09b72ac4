import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    ComposeImportError,
    ComposeImportOptions,
    servicesFromCompose,
} from "../../components/compose/servicesFromCompose";
import { interpolate } from "../../components/compose/interpolate";
import { parseEnvFile } from "../../components/compose/envFile";
import { shellWords } from "../../components/compose/shellWords";
import { durationSeconds } from "../../components/compose/duration";
import { normalizeProjectName } from "../../components/compose/composeFile";
import { validateStackArgs } from "../../components/options/validation";
import { stackArgsFromConfig } from "../../components/programConfig";
import { FIXTURES, tempDir } from "./fixtures";

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

/** A compose file (and files beside it) in a fresh folder. */
function composeDir(files: Record<string, string>): string {
    const dir = tempDir();
    for (const [name, text] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
        fs.writeFileSync(path.join(dir, name), text);
    }
    return dir;
}

function importFrom(dir: string, options: Partial<ComposeImportOptions> = {}) {
    return servicesFromCompose({
        file: path.join(dir, "compose.yaml"),
        env: {},
        services: { app: { sourcePath: "/app" } },
        ...options,
    });
}

describe("compose variable substitution", () => {
    const vars = { SET: "value", EMPTY: "", OTHER: "other" };
    it.each([
        ["$SET and ${SET}", "value and value"],
        ["${MISSING:-fallback} ${EMPTY:-fallback} ${SET:-fallback}", "fallback fallback value"],
        ["${MISSING-fallback} ${EMPTY-fallback} ${SET-fallback}", "fallback  value"],
        ["${SET:+alt} ${EMPTY:+alt} ${MISSING:+alt}", "alt  "],
        ["${SET+alt} ${EMPTY+alt} ${MISSING+alt}", "alt alt "],
        ["${SET:?unused} ${SET?unused} ${EMPTY?unused}|", "value value |"],
        ["${MISSING:-${OTHER}} ${MISSING:-${ALSO:-deep}} ${MISSING:-${ALSO-${OTHER}-x}}", "other deep other-x"],
        ["${SET:+[${OTHER}]} ${MISSING:-a:b-c}", "[other] a:b-c"],
        ["$$SET costs $$5 and ${SET}$$", "$SET costs $5 and value$"],
        ["$${SET} ${MISSING:-$$}", "${SET} $"],
        ["trailing $ and $1 and $-", "trailing $ and $1 and $-"],
        ["${SET}${OTHER}$SET-$OTHER_x", "valueothervalue-"],
        ["prefix_$SET.suffix", "prefix_value.suffix"],
        ["${set}|$constructor|${toString:-own keys only}", "||own keys only"],
    ])("%s", (text, expected) => {
        expect(interpolate(text, vars)).toBe(expected);
    });

    it("names the variable and the message when a required one is missing, as compose does", () => {
        expect(() => interpolate("${MISSING:?set it first}", vars)).toThrow(
            "required variable MISSING is missing a value: set it first",
        );
        expect(() => interpolate("${EMPTY:?}", vars)).toThrow(/^required variable EMPTY is missing a value$/);
        expect(() => interpolate("${MISSING?}", vars)).toThrow(/^required variable MISSING is missing a value$/);
        expect(() => interpolate("${MISSING?no ${OTHER} here}", vars)).toThrow(
            "required variable MISSING is missing a value: no other here",
        );
        expect(() => interpolate("${SET", vars)).toThrow('unclosed "${" in "${SET"');
        expect(() => interpolate("${1X}", vars)).toThrow('invalid substitution "${1X}" in "${1X}"');
        expect(() => interpolate("${SET:x}", vars)).toThrow('invalid substitution "${SET:x}" in "${SET:x}"');
        expect(() => interpolate("${}", vars)).toThrow('invalid substitution "${}"');
    });

    it("reports each unset variable used without a default", () => {
        const blank: string[] = [];
        expect(interpolate("a${NOPE}b$NADA${FINE:-x}${ALSO-}", vars, (n) => blank.push(n))).toBe("abx");
        expect(blank).toEqual(["NOPE", "NADA"]);
    });

    it("reads values from a function too", () => {
        expect(interpolate("${A}-${B:-b}", (n) => (n === "A" ? "a" : undefined))).toBe("a-b");
    });
});

describe("compose env files", () => {
    it("reads compose's syntax: comments, export, quotes, escapes, multi-line values, KEY: value, substitution", () => {
        const text = [
            "# a comment",
            "",
            "export A=1",
            "  B = 2  ",
            "C='x $y \\n'",
            'D="a\\"b\\n\\tc\\\\"',
            "E=v # note",
            "F=v#not-a-comment",
            'G="one',
            'two"',
            "H: yaml style",
            "I=${A}${B}",
            'J="${MISSING:-dflt} \\$A $$A"',
            "K='${A}'",
            "L=",
            'M="" # empty',
            'N="octal \\0101"',
            "INHERITED",
            "NOT_SET",
        ].join("\n");
        expect(
            parseEnvFile(text, "f", (n) => (({ INHERITED: "from-env", B: "shadowed" }) as Record<string, string>)[n]),
        ).toEqual({
            A: "1",
            B: "2",
            C: "x $y \\n",
            D: 'a"b\n\tc\\',
            E: "v",
            F: "v#not-a-comment",
            G: "one\ntwo",
            H: "yaml style",
            I: "1shadowed",
            J: "dflt $A $A",
            K: "${A}",
            L: "",
            M: "",
            N: "octal A",
            INHERITED: "from-env",
        });
    });

    it("reads Windows line ends", () => {
        expect(parseEnvFile("A=1\r\nB='2'\r\n", "f")).toEqual({ A: "1", B: "2" });
    });

    it("names the file and line of every kind of mistake", () => {
        expect(() => parseEnvFile("A=1\nB='open\n", "f")).toThrow("f:2: unterminated quoted value 'open");
        expect(() => parseEnvFile("not a var=1\n", "f")).toThrow(
            'f:1: unexpected character " " in variable name "not a var"',
        );
        expect(() => parseEnvFile("=1\n", "f")).toThrow("f:1: a value without a name");
        expect(() => parseEnvFile('A="x" y\n', "f")).toThrow('f:1: unexpected "y" after the closing "');
        expect(() => parseEnvFile("\n\nA=${NEED:?in the env file}\n", "f")).toThrow(
            "f:3: required variable NEED is missing a value: in the env file",
        );
    });
});

describe("compose helpers", () => {
    it("splits commands into shell words", () => {
        expect(shellWords(`gunicorn app:wsgi --bind "0.0.0.0:8000" --name 'my app' a\\ b "q\\"x"`)).toEqual([
            "gunicorn",
            "app:wsgi",
            "--bind",
            "0.0.0.0:8000",
            "--name",
            "my app",
            "a b",
            'q"x',
        ]);
        expect(shellWords(`x ""`)).toEqual(["x", ""]);
        expect(() => shellWords(`"open`)).toThrow('unclosed " in "\\"open"');
    });

    it("reads durations and project names", () => {
        expect([
            durationSeconds("1m30s"),
            durationSeconds("90s"),
            durationSeconds("2h"),
            durationSeconds("500ms"),
            durationSeconds("1h5m"),
            durationSeconds("soon"),
            durationSeconds(""),
        ]).toEqual([90, 90, 7200, 0.5, 3900, null, null]);
        expect([
            normalizeProjectName("My Shop.v2"),
            normalizeProjectName("_-api"),
            normalizeProjectName("payments"),
        ]).toEqual(["myshopv2", "api", "payments"]);
    });
});

describe("servicesFromCompose", () => {
    const django = path.join(COMPOSE, "django");
    const djangoFile = path.join(django, "docker-compose.yml");

    it("carries over a Django + gunicorn service: .env, env files, healthcheck, user, volumes", () => {
        const result = servicesFromCompose({
            file: djangoFile,
            env: { SECRET_KEY: "from-shell", TAG: "1.4.3" },
            services: { web: { sourcePath: "/srv/shop", hostSourcePath: "/tmp" } },
        });
        expect(result.services).toEqual([
            {
                name: "web",
                image: "shop/web:1.4.3",
                sourcePath: "/srv/shop",
                hostSourcePath: "/tmp",
                command: [
                    "gunicorn",
                    "shop.wsgi:application",
                    "--bind",
                    "0.0.0.0:8000",
                    "--workers",
                    "4",
                    "--access-logfile",
                    "-",
                ],
                env: {
                    ALLOWED_HOSTS: "localhost,127.0.0.1",
                    EMAIL_BACKEND: "django.core.mail.backends.console.EmailBackend",
                    GREETING: 'say "hi"\n',
                    CACHE_URL: "redis://cache:6379/1",
                    SECRET_KEY: "from-shell",
                    DEFAULT_FROM_EMAIL: "shop@example.com",
                    BROKER_URL: "redis://cache:6379/10",
                    PRICE_FORMAT: "$amount EUR",
                    DOLLAR: "$HOME stays",
                    MOTD: "line one\nline two",
                    SENTRY_ENVIRONMENT: "local",
                    DJANGO_SETTINGS_MODULE: "shop.settings.production",
                    DATABASE_URL: "postgres://shop:p@ss $word@db:5432/shop",
                },
                ports: [{ internal: 8000, external: 8000 }],
                healthcheck: {
                    test: [
                        "CMD",
                        "python3",
                        "-c",
                        "import urllib.request; urllib.request.urlopen('http://localhost:8000/healthz')",
                    ],
                    interval: "5s",
                    timeout: "3s",
                    retries: 10,
                    startPeriod: "10s",
                },
                user: "1000:1000",
                // Compose names the file's own volumes after the project (`name: shop`).
                mounts: [
                    { type: "bind", source: path.join(django, "media"), target: "/srv/media", readOnly: false },
                    { type: "volume", source: "shop_static", target: "/srv/static", readOnly: true },
                ],
            },
        ]);
        expect(result.warnings).toEqual([
            "service web: left out (no effect on what is measured): build, depends_on, restart",
        ]);
    });

    it("unsets a bare environment key that has no value, even over an env file's, as compose does", () => {
        const result = servicesFromCompose({
            file: djangoFile,
            env: {},
            services: { web: { sourcePath: "/srv/shop" } },
        });
        expect(result.services[0].env?.SECRET_KEY).toBeUndefined();
        expect(result.services[0].image).toBe("shop/web:1.4.2");
        expect(result.warnings).toEqual([
            "service web: left out (no effect on what is measured): build, depends_on, restart",
            "service web: environment: SECRET_KEY is not set, so the value from env_file is dropped (as compose does)",
        ]);
    });

    it("imports several services at once: list-form environment, $$, a disabled healthcheck", () => {
        const result = servicesFromCompose({
            file: djangoFile,
            env: { SECRET_KEY: "s", C_FORCE_ROOT: "1", IMAGE_PREFIX: "registry.local/shop" },
            services: { worker: { sourcePath: "/srv/shop" }, db: { sourcePath: "/usr/lib/postgresql" } },
        });
        expect(result.services.map((s) => [s.name, s.image])).toEqual([
            ["worker", "registry.local/shop/web:1.4.2"],
            ["db", "postgres:16"],
        ]);
        const worker = result.services[0];
        expect(worker.command).toEqual(["celery", "-A", "shop", "worker", "--loglevel", "${LOG_LEVEL}"]);
        expect(worker.healthcheck).toBeUndefined();
        expect(worker.env).toMatchObject({
            DJANGO_SETTINGS_MODULE: "shop.settings.production",
            C_FORCE_ROOT: "1",
            SECRET_KEY: "from-env-file",
        });
        expect(result.services[1].env).toEqual({ POSTGRES_PASSWORD: "p@ss $word" });
    });

    it("carries over a FastAPI + uvicorn service: anchors, defaults, long-form ports and volumes, stop settings", () => {
        const dir = path.join(COMPOSE, "fastapi");
        const result = servicesFromCompose({
            file: path.join(dir, "compose.yaml"),
            env: { RELOAD: "1", USER: "dev" },
            services: { api: { sourcePath: "/srv/api" } },
        });
        expect(result.services).toEqual([
            {
                name: "api",
                image: "ghcr.io/acme/payments-api:2.1",
                sourcePath: "/srv/api",
                entrypoint: ["/usr/local/bin/entry.sh", "--wait-for", "db:5432"],
                command: [
                    "uvicorn",
                    "api.main:app",
                    "--host",
                    "0.0.0.0",
                    "--port",
                    "8080",
                    "--workers",
                    "2",
                    "--reload",
                ],
                env: {
                    PYTHONUNBUFFERED: "1",
                    LOG_LEVEL: "info",
                    DATABASE_URL: "postgresql://api@db:5432/dev",
                    FEATURE_FLAGS: "",
                },
                workingDir: "/srv/api",
                // host_ip 0.0.0.0 is read past: coverage-spy publishes on 127.0.0.1 only.
                ports: [{ internal: 8080, external: 18080 }, { internal: 9100 }],
                mounts: [
                    { type: "bind", source: path.join(dir, "config"), target: "/srv/api/config", readOnly: true },
                    { type: "volume", source: "payments-uploads", target: "/srv/uploads", readOnly: false },
                    { type: "volume", source: "cache", target: "/srv/cache", readOnly: false },
                ],
                healthcheck: {
                    test: ["CMD-SHELL", "curl -fsS http://localhost:8080/health || exit 1"],
                    interval: "2s",
                    retries: 5,
                },
                stopSignal: "SIGINT",
                stopGraceSeconds: 90,
            },
        ]);
        expect(result.warnings).toEqual([
            "service api: left out (no effect on what is measured): develop, deploy, labels",
            'service api: volumes "/tmp/scratch": an anonymous volume is left out',
        ]);
        // What it produces is valid coverage-spy input.
        expect(() => validateStackArgs({ services: result.services, testCommand: "pytest" })).not.toThrow();
    });

    it("takes the shell's values over the defaults", () => {
        const result = servicesFromCompose({
            file: path.join(COMPOSE, "fastapi", "compose.yaml"),
            services: { api: { sourcePath: "/srv/api" } },
            env: {
                REGISTRY: "localhost:5000",
                API_TAG: "pr-7",
                PORT: "9000",
                API_PORT: "19000",
                LOG_LEVEL: "",
                DB_NAME: "pay",
                CACHE_READ_ONLY: "true",
                HEALTH_INTERVAL: "1s",
                HEALTH_RETRIES: "2",
                RELOAD: "",
            },
        });
        const api = result.services[0];
        expect(api.image).toBe("localhost:5000/payments-api:pr-7");
        expect(api.command).toEqual([
            "uvicorn",
            "api.main:app",
            "--host",
            "0.0.0.0",
            "--port",
            "9000",
            "--workers",
            "2",
            "",
        ]);
        expect(api.env).toEqual({
            PYTHONUNBUFFERED: "1",
            LOG_LEVEL: "",
            DATABASE_URL: "postgresql://api@db:5432/pay",
            FEATURE_FLAGS: "",
        });
        expect(api.ports).toEqual([{ internal: 8080, external: 19000 }, { internal: 9100 }]);
        expect(api.mounts?.[2]).toEqual({ type: "volume", source: "cache", target: "/srv/cache", readOnly: true });
        expect(api.healthcheck).toEqual({
            test: ["CMD-SHELL", "curl -fsS http://localhost:8080/health || exit 1"],
            interval: "1s",
            retries: 2,
        });
    });

    it("imports a service whose image compose builds and tags; a build-only one cannot be", () => {
        const file = path.join(COMPOSE, "build-only", "compose.yaml");
        expect(servicesFromCompose({ file, env: {}, services: { web: { sourcePath: "/srv/shop" } } })).toEqual({
            services: [
                {
                    name: "web",
                    image: "shop/flask-web:dev",
                    sourcePath: "/srv/shop",
                    command: ["flask", "--app", "shop", "run", "--host", "0.0.0.0", "--port", "5000"],
                    ports: [{ internal: 5000 }],
                    env: { FLASK_DEBUG: "0", GREETING: "hello world" },
                },
            ],
            warnings: ["service web: left out (no effect on what is measured): build"],
        });
        expect(
            problemsOf(() => servicesFromCompose({ file, env: {}, services: { worker: { sourcePath: "/srv/shop" } } })),
        ).toEqual([
            "service worker is build-only: build and tag its image first (docker compose build), then name it with image:",
        ]);
    });

    it("reads the base file of the overlay pattern, and the overlay has no image to measure", () => {
        const dir = path.join(COMPOSE, "overlay");
        expect(
            servicesFromCompose({ file: path.join(dir, "compose.yaml"), services: { app: { sourcePath: "/app" } } })
                .services,
        ).toEqual([
            {
                name: "app",
                image: "app:prod",
                sourcePath: "/app",
                command: ["python", "-m", "app.server"],
                ports: [{ internal: 8000, external: 8000 }],
            },
        ]);
        expect(
            problemsOf(() =>
                servicesFromCompose({
                    file: path.join(dir, "compose.coverage.yaml"),
                    services: { app: { sourcePath: "/app" } },
                }),
            ),
        ).toEqual(["service app has no image"]);
    });

    it("lists every problem at once, each with its service and key", () => {
        const file = path.join(COMPOSE, "errors", "compose.yaml");
        const error = (() => {
            try {
                servicesFromCompose({
                    file,
                    env: {},
                    services: {
                        worker: { sourcePath: "/w" },
                        api: { sourcePath: "/a" },
                        edge: { sourcePath: "edge" },
                        missing: { sourcePath: "/m" },
                    },
                });
            } catch (err) {
                return err as ComposeImportError;
            }
            throw new Error("no error");
        })();
        expect(error).toBeInstanceOf(ComposeImportError);
        expect(error.file).toBe(file);
        expect(error.problems).toEqual([
            "service worker is build-only: build and tag its image first (docker compose build), then name it with image:",
            "service api: image: required variable API_TAG is missing a value: API_TAG is required",
            "service api: environment.REGION: required variable REGION is missing a value",
            "service api: environment.ZONE: required variable ZONE is missing a value: set ZONE, e.g. eu-1a",
            'service edge: sourcePath must be an absolute path inside the container, got "edge"',
            "service edge: network_mode: cannot be carried over (it changes how the service runs)",
            "service edge: pid: cannot be carried over (it changes how the service runs)",
            "service edge: extends: cannot be carried over (it changes how the service runs)",
            "service edge: secrets: cannot be carried over (it changes how the service runs)",
            "service edge: imagee: unknown key",
            `service edge: env_file: env/missing.env not found (${path.join(COMPOSE, "errors", "env", "missing.env")})`,
            'service edge: ports "5353:5353/udp": only tcp ports can be published, not udp',
            'service edge: ports "8000-8002:8000-8002": port ranges cannot be carried over: list each port',
            'service edge: ports {"target":9000,"protocol":"udp"}: only tcp ports can be published, not udp',
            "service edge: healthcheck: has no test: re-timing the image's own HEALTHCHECK cannot be carried over, give test:",
            'service edge: volumes {"type":"tmpfs","target":"/cache"}: only bind and volume mounts can be carried over',
            'service edge: volumes "data:/var/lib/edge": volume data is not declared in the top-level volumes: section',
            'service edge: stop_grace_period: "soon" is not a duration',
            "no service missing (the file has: api, edge, worker)",
        ]);
        expect(error.message).toBe(`cannot import services from ${file}:\n  - ${error.problems.join("\n  - ")}`);
    });

    it("requires a sourcePath for every named service, and at least one service", () => {
        const file = path.join(COMPOSE, "overlay", "compose.yaml");
        expect(problemsOf(() => servicesFromCompose({ file, services: { app: {} as never } }))).toEqual([
            'service app: no sourcePath: say where its Python source is inside the container (e.g. { sourcePath: "/app" })',
        ]);
        expect(problemsOf(() => servicesFromCompose({ file, services: {} }))).toEqual([
            "no services named: name the ones to measure (the file has: app)",
        ]);
    });

    it("parses short port forms and rejects the ones it cannot publish", () => {
        const dir = composeDir({
            "compose.yaml": [
                "services:",
                "  app:",
                "    image: app:1",
                "    ports:",
                '      - "8000"',
                '      - "8001:8001"',
                '      - "127.0.0.1:8002:8002"',
                '      - "8003:8004/tcp"',
                '      - "[::1]:8005:8005"',
                '      - "127.0.0.1::8006"',
                "      - 8007",
                '      - "9000-9001"',
                '      - "53:53/udp"',
                '      - "x:80"',
            ].join("\n"),
        });
        expect(problemsOf(() => importFrom(dir))).toEqual([
            'service app: ports "9000-9001": port ranges cannot be carried over: list each port',
            'service app: ports "53:53/udp": only tcp ports can be published, not udp',
            'service app: ports "x:80": "x" is not a host port',
        ]);
        const ok = composeDir({
            "compose.yaml": fs.readFileSync(path.join(dir, "compose.yaml"), "utf8").split("\n").slice(0, 11).join("\n"),
        });
        expect(importFrom(ok).services[0].ports).toEqual([
            { internal: 8000 },
            { internal: 8001, external: 8001 },
            { internal: 8002, external: 8002 },
            { internal: 8004, external: 8003 },
            { internal: 8005, external: 8005 },
            { internal: 8006 },
            { internal: 8007 },
        ]);
    });

    it("parses short volume forms: relative, home and absolute binds, modes, named volumes with and without a project name", () => {
        const dir = composeDir({
            "compose.yaml": [
                "services:",
                "  app:",
                "    image: app:1",
                "    volumes:",
                "      - ./data:/data",
                "      - ../shared:/shared:ro",
                "      - ~/cache:/cache:rw",
                "      - /etc/app:/etc/app:ro,z",
                "      - logs:/logs",
                "volumes:",
                "  logs:",
            ].join("\n"),
        });
        const home = os.homedir();
        const expected = (project: string) => [
            { type: "bind", source: path.join(dir, "data"), target: "/data", readOnly: false },
            { type: "bind", source: path.join(path.dirname(dir), "shared"), target: "/shared", readOnly: true },
            { type: "bind", source: path.join(home, "cache"), target: "/cache", readOnly: false },
            { type: "bind", source: "/etc/app", target: "/etc/app", readOnly: true },
            { type: "volume", source: `${project}_logs`, target: "/logs", readOnly: false },
        ];
        // Compose's order: the caller's project name, COMPOSE_PROJECT_NAME, name:, the folder's name.
        expect(importFrom(dir).services[0].mounts).toEqual(expected(normalizeProjectName(path.basename(dir))));
        expect(importFrom(dir, { env: { COMPOSE_PROJECT_NAME: "Team_A" } }).services[0].mounts).toEqual(
            expected("team_a"),
        );
        expect(
            importFrom(dir, { env: { COMPOSE_PROJECT_NAME: "team_a" }, projectName: "ci" }).services[0].mounts,
        ).toEqual(expected("ci"));
    });

    it("reads the .env beside the file: the given env wins, and it may refer to the given env", () => {
        const dir = composeDir({
            ".env": "TAG=from-dotenv\nREGISTRY=registry.local\nIMAGE=${REGISTRY}/app\nCOMPOSE_PROJECT_NAME=dotenv-project\n",
            "compose.yaml":
                "name: ignored\nservices:\n  app:\n    image: ${IMAGE}:${TAG}\n    volumes: [data:/data]\n    environment: [TAG]\nvolumes:\n  data:\n",
        });
        expect(importFrom(dir, { env: { TAG: "from-shell" } }).services[0]).toEqual({
            name: "app",
            image: "registry.local/app:from-shell",
            sourcePath: "/app",
            env: { TAG: "from-shell" },
            mounts: [{ type: "volume", source: "dotenv-project_data", target: "/data", readOnly: false }],
        });
        expect(importFrom(dir, { env: { REGISTRY: "shell.local" } }).services[0].image).toBe(
            "shell.local/app:from-dotenv",
        );
    });

    it("warns about blank variables and reads env_file in all its forms", () => {
        const dir = composeDir({
            "compose.yaml": [
                "services:",
                "  app:",
                "    image: app:${MISSING_TAG}",
                "    env_file: conf/a.env",
                "  b:",
                "    image: b:1",
                "    env_file:",
                "      - conf/a.env",
                "      - path: conf/b.env",
                "        required: true",
                "      - path: conf/none.env",
                "        required: false",
                "    environment:",
                "      OVERRIDE: from-environment",
            ].join("\n"),
            "conf/a.env": "A=1\nOVERRIDE=from-a\nUSES=${SHELL_ONLY}\n",
            "conf/b.env": "B=${A}-${OVERRIDE}\n",
        });
        const one = importFrom(dir);
        expect(one.services[0]).toEqual({
            name: "app",
            image: "app:",
            sourcePath: "/app",
            env: { A: "1", OVERRIDE: "from-a", USES: "" },
        });
        expect(one.warnings).toEqual([
            "service app: variable MISSING_TAG is not set: a blank string is used",
            "service app: env_file: conf/a.env: variable SHELL_ONLY is not set: a blank string is used",
        ]);
        // In an env file, the service's own environment comes before the files' values, as in compose.
        expect(
            importFrom(dir, { env: { SHELL_ONLY: "s" }, services: { b: { sourcePath: "/b" } } }).services[0].env,
        ).toEqual({ A: "1", OVERRIDE: "from-environment", USES: "s", B: "1-from-environment" });
    });

    it("names the .env line of a mistake, and every YAML error of the file", () => {
        const badDotEnv = composeDir({
            ".env": "OK=1\nBAD LINE\n",
            "compose.yaml": "services:\n  app:\n    image: a\n",
        });
        expect(problemsOf(() => importFrom(badDotEnv))).toEqual([
            `${path.join(badDotEnv, ".env")}:2: unexpected character " " in variable name "BAD LINE"`,
        ]);
        const badYaml = composeDir({
            "compose.yaml": "services:\n  app:\n    image: a\n    image: b\n  app:\n    image: c\n",
        });
        const problems = problemsOf(() => importFrom(badYaml));
        expect(problems).toHaveLength(2);
        expect(problems.every((p) => p.startsWith("not valid YAML: Map keys must be unique"))).toBe(true);
    });

    it("says what is wrong with the file itself", () => {
        expect(
            problemsOf(() => servicesFromCompose({ file: path.join(os.tmpdir(), "nope.yaml"), services: {} })),
        ).toEqual(["the file does not exist"]);
        expect(
            problemsOf(() => servicesFromCompose({ file: path.join(COMPOSE, "django", ".env"), services: {} })),
        ).toEqual(["no services: section"]);
        const included = composeDir({ "compose.yaml": "include: [other.yaml]\nservices:\n  app:\n    image: a\n" });
        expect(problemsOf(() => importFrom(included, { services: { db: { sourcePath: "/db" } } }))).toEqual([
            "no service db (the file has: app; services from include: are not read)",
        ]);
    });

    it("leaves harmless keys out with one warning, and rejects the ones that change how the service runs", () => {
        const dir = composeDir({
            "compose.yaml": [
                "services:",
                "  app:",
                "    image: a",
                "    container_name: app",
                "    restart: always",
                "    labels: [a=b]",
                "    logging: { driver: none }",
                "    depends_on: [db]",
                "    networks: [back]",
                "    init: true",
                "    read_only: true",
                "    cap_drop: [ALL]",
                "    x-team: core",
                "    ipc: host",
                "    privileged: true",
                "    configs: [c]",
                "    volumes_from: [db]",
                "    post_start: [{ command: ./seed }]",
                '    healthcheck: { disable: "true", test: [CMD, "true"] }',
            ].join("\n"),
        });
        expect(problemsOf(() => importFrom(dir))).toEqual([
            "service app: ipc: cannot be carried over (it changes how the service runs)",
            "service app: privileged: cannot be carried over (it changes how the service runs)",
            "service app: configs: cannot be carried over (it changes how the service runs)",
            "service app: volumes_from: cannot be carried over (it changes how the service runs)",
            "service app: post_start: cannot be carried over (it changes how the service runs)",
        ]);
        const harmless = composeDir({
            "compose.yaml": fs
                .readFileSync(path.join(dir, "compose.yaml"), "utf8")
                .replace(/ {4}(ipc|privileged|configs|volumes_from|post_start):.*\n/g, ""),
        });
        expect(importFrom(harmless)).toEqual({
            services: [{ name: "app", image: "a", sourcePath: "/app" }],
            warnings: [
                "service app: left out (no effect on what is measured): container_name, restart, labels, logging, depends_on, networks, init, read_only, cap_drop",
            ],
        });
    });

    it("turns a healthcheck list into Docker's and rejects one Docker would not run", () => {
        const dir = composeDir({
            "compose.yaml":
                "services:\n  app:\n    image: a\n    healthcheck:\n      test: [python, -c, pass]\n      retries: many\n      timeout: 3 seconds\n",
        });
        expect(problemsOf(() => importFrom(dir))).toEqual([
            'service app: healthcheck.test: a list must start with "CMD", "CMD-SHELL" or "NONE", got "python"',
        ]);
        const none = composeDir({
            "compose.yaml": "services:\n  app:\n    image: a\n    healthcheck:\n      test: [NONE]\n",
        });
        expect(importFrom(none).services[0].healthcheck).toBeUndefined();
        const badTiming = composeDir({
            "compose.yaml":
                "services:\n  app:\n    image: a\n    healthcheck:\n      test: [CMD, 'true']\n      retries: many\n      timeout: 3 seconds\n",
        });
        expect(problemsOf(() => importFrom(badTiming))).toEqual([
            'service app: healthcheck.timeout: "3 seconds" is not a duration',
            'service app: healthcheck.retries: "many" is not a whole number',
        ]);
    });
});

describe("a stack's compose config", () => {
    it("adds the compose file's services to the stack's, paths relative to the project", () => {
        const args = stackArgsFromConfig(
            {
                testCommand: "pytest",
                services: [{ name: "extra", image: "x:1", sourcePath: "/x" }],
                compose: {
                    file: "compose/overlay/compose.yaml",
                    services: { app: { sourcePath: "/app", hostSourcePath: "compose/overlay" } },
                },
            },
            FIXTURES,
        );
        expect(args.services.map((s) => [s.name, s.image, s.hostSourcePath])).toEqual([
            ["extra", "x:1", undefined],
            ["app", "app:prod", path.join(COMPOSE, "overlay")],
        ]);
        expect("compose" in args).toBe(false);
    });

    it("names the compose file in its problems", () => {
        expect(() =>
            stackArgsFromConfig(
                { compose: { file: "compose/errors/compose.yaml", services: { worker: { sourcePath: "/w" } } } },
                FIXTURES,
            ),
        ).toThrow("config: compose compose/errors/compose.yaml: service worker is build-only");
        expect(() => stackArgsFromConfig({ compose: "docker-compose.yml" }, FIXTURES)).toThrow(
            "config: compose must be { file:",
        );
    });
});
