// The engine's names of the steps the benchmarks time (test/integration/stackRun.ts's phasesMs keys): the component's
// resources, named "coverage-<resource>".

/** The harvester container: its start, reading the records, combine, every report format. */
export const HARVEST_STEP = "coverage-harvester";
/** The test run: readiness waits, the suite, the services' stops. */
export const TEST_RUN_STEP = "coverage-test-run";
