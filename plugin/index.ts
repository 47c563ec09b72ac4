// Where Pulumi's schema inference starts (its entry when package.json's main has no TypeScript source beside it):
// the component whose TypeScript arguments and outputs become the plugin package's schema. host.ts serves it.
export { CoverageSpyStack } from "../components/coverageSpyStack";
