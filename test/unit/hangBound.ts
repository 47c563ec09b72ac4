// Each unit test's time limit bounds a hang only: jest's 5 s default trips on a loaded machine while a child
// process (a test server, the test-run script) starts. (A project's own testTimeout is not read by jest 29.)
jest.setTimeout(120_000);
