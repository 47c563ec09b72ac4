import * as fs from "fs";
import * as path from "path";
import { findUp } from "../../components/shared/findUp";
import { tempDir } from "./fixtures";

describe("findUp", () => {
    it("finds in the start folder first, then the nearest folder above it, and says nothing past the root", () => {
        const root = tempDir();
        const deep = path.join(root, "a", "b", "c");
        fs.mkdirSync(deep, { recursive: true });
        fs.writeFileSync(path.join(root, "a", "marker"), "a");
        const marker = (dir: string) => (fs.existsSync(path.join(dir, "marker")) ? dir : undefined);
        expect(findUp(deep, marker)).toBe(path.join(root, "a"));
        fs.writeFileSync(path.join(deep, "marker"), "c");
        expect(findUp(deep, marker)).toBe(deep);
        expect(
            findUp(deep, (dir) => (fs.existsSync(path.join(dir, "no-such-marker-anywhere")) ? dir : undefined)),
        ).toBeUndefined();
    });
});
