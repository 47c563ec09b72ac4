// What Pulumi runs for the plugin package (package.json's main, compiled): serves CoverageSpyStack to the engine on
// the address it was started with, as Pulumi's own componentProviderHost does, but with provider.ts's provider.
import { RunError } from "@pulumi/pulumi";
import { main } from "@pulumi/pulumi/provider/server";
import { CoverageSpyProvider, packageRootOf } from "./provider";
import { schemaCompilerProblem } from "./schemaCompiler";

function servePlugin(): Promise<void> {
    const problem = schemaCompilerProblem();
    // A RunError: Pulumi prints its message alone, without a stack.
    if (problem !== undefined) throw new RunError(problem);
    return main(new CoverageSpyProvider(packageRootOf(__dirname)), process.argv.slice(2));
}

// Pulumi's plugin runner calls the module's export when it is a function; exported component classes it would host
// itself, with the schema as inferred.
export = servePlugin;
