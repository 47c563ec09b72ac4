/** Two projects: unit tests (mocked engine, fast) and integration tests (real engine and Docker). */
const common = {
    preset: "ts-jest",
    testEnvironment: "node",
    transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.json", diagnostics: true }] },
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
            ...common,
            displayName: "integration",
            testMatch: ["<rootDir>/test/integration/**/*.test.ts"],
            globalSetup: "<rootDir>/test/integration/sweep.ts",
            globalTeardown: "<rootDir>/test/integration/teardown.ts",
        },
    ],
};
