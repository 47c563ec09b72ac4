export * from "./options/args";
export * from "./options/choices";
export {
    STACK_OPTIONS,
    SERVICE_OPTIONS,
    PORT_OPTIONS,
    MOUNT_OPTIONS,
    HEALTHCHECK_OPTIONS,
    COVERAGE_OPTIONS,
    OptionSpec,
    OptionKind,
} from "./options/optionTable";
export {
    resolveArgs,
    resolveCoverageOptions,
    ResolveContext,
    ResolvedStackArgs,
    ResolvedService,
    ResolvedCoverageOptions,
} from "./options/resolveArgs";
export { CoverageSpyStack, COVERAGE_SPY_STACK_TYPE } from "./coverageSpyStack";
export { defaultAssetsDir } from "./stack/planRun";
export * from "./summary/coverageSummary";
export { parseCoverageJson } from "./summary/parseCoverageJson";
export { parseTestCounts } from "./summary/testOutput";
export { readRunSummary } from "./summary/readRunSummary";
export { generateCoveragerc } from "./config/coveragerc";
export { validateStackArgs } from "./options/validation";
export { CoverageSpyInputError } from "./options/inputError";
export { serviceUrlEnvName, newRunId } from "./shared/naming";
export { stackArgsFromConfig, readStackConfig, projectRoot, CONFIG_KEYS } from "./programConfig";
export { formatSummary } from "./summary/formatSummary";
export {
    coverageDelta,
    parseSummaryOutput,
    CoverageDelta,
    FileChange,
    PercentChange,
    DELTA_SCHEMA_VERSION,
} from "./summary/coverageDelta";
export { markdownSummary, MarkdownOptions } from "./summary/markdownSummary";
export { evaluateGates, GateResult } from "./gates/evaluateGates";
export { validateGates, GateThresholds } from "./options/gateOptions";
export { coverageDeltaProgram, CoverageDeltaProgramArgs, CoverageDeltaOutputs } from "./consumer/coverageDeltaProgram";
export { coverageStackProgram, CoverageStackOutputs } from "./stackProgram";
export {
    servicesFromCompose,
    ComposeImportError,
    ComposeImportOptions,
    ComposeImport,
} from "./compose/servicesFromCompose";
