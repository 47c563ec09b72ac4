import * as path from "path";
import { localEngine } from "../../components/engine/local/localEngine";
import { remoteEngine } from "../../components/engine/remote/remoteEngine";
import { runEngine } from "../../components/engine/runEngine";

describe("the engine seam: what differs for a run between a local and a remote Docker engine", () => {
    const reportDir = "/home/me/project/reports/main";

    it("local: the harvester reads and writes the host's folders, the reports owned by this user", () => {
        const engine = localEngine(reportDir);
        expect(engine.remote).toBe(false);
        expect(engine.probeHost).toBeUndefined();
        expect(engine.runTar).toBeUndefined();
        expect(engine.harvestReports).toEqual({ reportDir, owner: `${process.getuid!()}:${process.getgid!()}` });
    });

    it("remote: the services reached on serviceHost, the results uploaded as one tar the harvester reads", () => {
        const engine = remoteEngine(reportDir, "10.0.0.7");
        expect(engine.remote).toBe(true);
        expect(engine.probeHost).toBe("10.0.0.7");
        expect(engine.runTar).toBe(path.join(reportDir, "engine", "run-inputs.tar"));
        expect(engine.harvestReports).toEqual({ inputsTar: engine.runTar });
    });

    it("is chosen by the resolved remoteEngine option", () => {
        expect(runEngine({ remoteEngine: true, reportDir, serviceHost: "10.0.0.7" }).remote).toBe(true);
        expect(runEngine({ remoteEngine: false, reportDir, serviceHost: "127.0.0.1" }).remote).toBe(false);
    });
});
