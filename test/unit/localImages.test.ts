import { inspectLocalImages } from "../../components/engine/localImages";
import { fakeDockerOnPath } from "./fixtures";

describe("an image as this machine's Docker engine describes it", () => {
    const savedPath = process.env.PATH;
    afterEach(() => (process.env.PATH = savedPath));

    it("gives its environment, its ID, the TCP ports it EXPOSEs and its user", () => {
        fakeDockerOnPath({
            "postgres:16":
                '["PGDATA=/var/lib/postgresql/data"]\tsha256:abc\t{"5432/tcp":{},"53/udp":{},"8080":{}}\tpostgres',
            "plain:1": '["A=1"]\tsha256:def\tnull\t',
        });
        const found = inspectLocalImages(["postgres:16", "plain:1", "absent:1"]);
        expect(found.get("postgres:16")).toEqual({
            envJson: '["PGDATA=/var/lib/postgresql/data"]',
            id: "sha256:abc",
            exposedPorts: [5432, 8080],
            user: "postgres",
        });
        expect(found.get("plain:1")).toEqual({ envJson: '["A=1"]', id: "sha256:def", exposedPorts: [], user: "" });
        expect(found.get("absent:1")).toEqual({ missing: "Error: No such image: absent:1" });
    });
});
