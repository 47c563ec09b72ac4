import { dockerCliEnvironment } from "../../components/engine/dockerEngine";
import { isRemoteDockerHost, publishAddress } from "../../components/shared/engineAddress";

describe("which engine", () => {
    it.each([
        ["tcp://10.0.0.5:2376", true],
        ["ssh://ci@docker-host", true],
        ["https://engine.test", true],
        [" tcp://padded:2375", true],
        ["unix:///var/run/docker.sock", false],
        ["npipe:////./pipe/docker_engine", false],
        [undefined, false],
    ])("takes %s for a remote engine: %s", (host, remote) => {
        expect(isRemoteDockerHost(host)).toBe(remote);
    });

    it("publishes on loopback only when the tests reach the services there", () => {
        expect(publishAddress("127.0.0.1")).toBe("127.0.0.1");
        expect(publishAddress("localhost")).toBe("127.0.0.1");
        expect(publishAddress("10.0.0.5")).toBe("0.0.0.0");
        expect(publishAddress("docker-host.internal")).toBe("0.0.0.0");
    });
});

describe("the docker CLI's environment for the provider's engine", () => {
    it("is empty for the default engine, which the CLI finds as the provider did", () => {
        expect(dockerCliEnvironment({ hasTlsMaterial: false }, false)).toEqual({});
    });

    it("names the host, and with a certPath the TLS settings", () => {
        expect(dockerCliEnvironment({ host: "tcp://e:2376", certPath: "/certs", hasTlsMaterial: false }, true)).toEqual(
            {
                DOCKER_HOST: "tcp://e:2376",
                DOCKER_CERT_PATH: "/certs",
                DOCKER_TLS_VERIFY: "1",
            },
        );
        expect(dockerCliEnvironment({ host: "unix:///run/other.sock", hasTlsMaterial: false }, false)).toEqual({
            DOCKER_HOST: "unix:///run/other.sock",
        });
    });

    it("refuses a remote host without remoteEngine, naming the setting", () => {
        expect(() => dockerCliEnvironment({ host: "ssh://ci@e", hasTlsMaterial: false }, false)).toThrow(
            /host ssh:\/\/ci@e is a remote engine, which cannot see this machine's folders: set remoteEngine: true/,
        );
    });

    it("refuses TLS keys given as text, which the CLI cannot take, unless a certPath is given", () => {
        expect(() => dockerCliEnvironment({ host: "tcp://e:2376", hasTlsMaterial: true }, true)).toThrow(
            /set the provider's certPath instead/,
        );
        expect(dockerCliEnvironment({ host: "tcp://e:2376", certPath: "/c", hasTlsMaterial: true }, true)).toEqual(
            expect.objectContaining({ DOCKER_CERT_PATH: "/c" }),
        );
    });
});
