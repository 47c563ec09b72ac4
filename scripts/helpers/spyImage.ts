// Builds the spy image a stack of this repository builds first, FROM the base it names (spyBaseImage), unless the
// engine has it: scripts/images.sh runs this beside the toolchain's build, so a first `pulumi up` finds it there.
// The component's own tag and command (components/engine/spyImage.ts): the same image, or none at all.
//
//   node bin/scripts/helpers/spyImage.js BASE_IMAGE      (Docker's output of a failed build, then why; exit 1)
import { spawnSync } from "child_process";
import { planSpyImage } from "../../components/engine/spyDelivery";
import { spyBuildCommand } from "../../components/engine/spyImage";
import { defaultAssetsDir } from "../../components/stack/planRun";

function main(baseImage: string | undefined): number {
    if (baseImage === undefined) {
        process.stderr.write("usage: node bin/scripts/helpers/spyImage.js BASE_IMAGE\n");
        return 2;
    }
    const { image, recipe } = planSpyImage({ spyBaseImage: baseImage, assetsDir: defaultAssetsDir(__dirname) });
    if (recipe === undefined) return 0;
    process.stderr.write(
        `[coverage-spy] the spy image ${image} FROM ${baseImage} (built now unless the engine has it)\n`,
    );
    const build = spawnSync("/bin/sh", ["-c", spyBuildCommand(image, recipe)], { stdio: "inherit" });
    return build.status ?? 1;
}

if (require.main === module) process.exitCode = main(process.argv[2]);
