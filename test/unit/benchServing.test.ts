import {
    coreLabel,
    errorCount,
    formatSpread,
    markdownTable,
    pairedRatios,
    parseLoadResult,
    relativeSpread,
    sideOrder,
    spread,
} from "../../bench/serving/stats";
import { median } from "../../bench/median";

const PASS = {
    requests: 100,
    seconds: 2,
    rps: 50,
    p50_us: 1000,
    p90_us: 2000,
    p99_us: 3000,
    max_us: 4000,
    mean_us: 1200,
    errors: { connect: 0, read: 1, write: 0, status: 2, timeout: 0 },
};

describe("the serving benchmark's helpers", () => {
    it("reads load.sh's result and refuses one without both passes", () => {
        const text = JSON.stringify({ address: "10.0.0.2:8000", cold: PASS, warm: { ...PASS, rps: 60 } });
        expect(parseLoadResult(text).warm.rps).toBe(60);
        expect(() => parseLoadResult(JSON.stringify({ cold: PASS }))).toThrow("complete warm pass");
        expect(() => parseLoadResult(JSON.stringify({ cold: PASS, warm: { rps: 1 } }))).toThrow("warm");
        expect(errorCount(PASS)).toBe(3);
    });

    it("alternates the order of the sides round by round", () => {
        const sides = ["unmeasured", "measured", "saves 1 s"];
        expect(sideOrder(sides, 0)).toEqual(sides);
        expect(sideOrder(sides, 1)).toEqual(["saves 1 s", "measured", "unmeasured"]);
        expect(sideOrder(sides, 2)).toEqual(sides);
        expect(sides).toEqual(["unmeasured", "measured", "saves 1 s"]);
    });

    it("takes medians, spreads and per-round ratios, skipping rounds where a side failed", () => {
        expect(median([3, 1, 2])).toBe(2);
        expect(median([4, 1, 3, 2])).toBe(2.5);
        expect(median([])).toBeNaN();
        const s = spread([90, 110, 100]);
        expect(s).toEqual({ median: 100, min: 90, max: 110, count: 3 });
        expect(relativeSpread(s)).toBe(20);
        expect(pairedRatios([90, undefined, 50], [100, 100, undefined])).toEqual([0.9]);
        expect(pairedRatios([90], [0])).toEqual([]);
    });

    it("formats medians with their range, tables and cores", () => {
        expect(formatSpread(spread([2500.4, 2400, 2600]), 0)).toBe("2500 (2400–2600)");
        expect(formatSpread(spread([0.951]), 3)).toBe("0.951");
        expect(formatSpread(spread([]), 0)).toBe("–");
        expect(markdownTable(["a", "b"], [["1", "2"]])).toBe("| a | b |\n| --- | --- |\n| 1 | 2 |");
        expect(coreLabel({ SysMonitor: 6 })).toBe("SysMonitor");
        expect(coreLabel({ CTracer: 5, PyTracer: 1 })).toBe("CTracer 5, PyTracer 1");
        expect(coreLabel(undefined)).toBe("?");
    });
});
