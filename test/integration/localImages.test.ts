// Images as the real Docker engine describes them to the component: one without EXPOSE must read as present (a Go
// template reading a missing key fails the whole inspect), one with EXPOSE gives its TCP ports.
import { inspectLocalImages } from "../../components/engine/localImages";

describe("images on the real Docker engine", () => {
    it("reads an image without EXPOSE as present, with its environment and ID, and no ports", () => {
        const found = inspectLocalImages(["coverage-spy/harvester:latest"]).get("coverage-spy/harvester:latest");
        expect(found?.missing).toBeUndefined();
        expect(found?.id).toMatch(/^sha256:/);
        expect(JSON.parse(found?.envJson ?? "null")).toEqual(expect.arrayContaining([expect.stringMatching(/^PATH=/)]));
        expect(found?.exposedPorts).toEqual([]);
    });

    it("gives the TCP ports an image EXPOSEs", () => {
        expect(
            inspectLocalImages(["coverage-spy/redis:latest"]).get("coverage-spy/redis:latest")?.exposedPorts,
        ).toEqual([6379]);
    });
});
