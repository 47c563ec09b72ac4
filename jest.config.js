/** Three projects: unit tests (mocked engine, fast), and integration tests on a real engine: Docker, Kubernetes. */
const common = {
    preset: "ts-jest",
    testEnvironment: "node",
    transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.json", diagnostics: true }] },
};
/**
 * The real engines: Docker (integration) and the project's kind cluster (kubernetes), apart so that npm test
 * (scripts/test.sh) can run the Docker tests while the cluster is still being built, and start it only for its own.
 */
const integration = {
    ...common,
    globalSetup: "<rootDir>/test/integration/sweep.ts",
    globalTeardown: "<rootDir>/test/integration/teardown.ts",
};
module.exports = {
    projects: [
        {
            ...common,
            displayName: "unit",
            testMatch: ["<rootDir>/test/unit/**/*.test.ts"],
            globalSetup: "<rootDir>/test/unit/globalSetup.ts",
            setupFilesAfterEnv: ["<rootDir>/test/unit/cleanup.ts", "<rootDir>/test/unit/hangBound.ts"],
        },
        {
            ...integration,
            displayName: "integration",
            testMatch: ["<rootDir>/test/integration/**/*.test.ts"],
            testPathIgnorePatterns: ["/node_modules/", "<rootDir>/test/integration/kubernetes/"],
        },
        {
            ...integration,
            displayName: "kubernetes",
            testMatch: ["<rootDir>/test/integration/kubernetes/**/*.test.ts"],
        },
    ],
};
