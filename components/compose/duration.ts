/** A compose duration ("1m30s", "90s", "500ms", "2h", "1h5m") in seconds; null when it is none. */
export function durationSeconds(text: string): number | null {
    const trimmed = text.trim();
    const m = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+(?:\.\d+)?)ms)?$/.exec(
        trimmed,
    );
    if (!m || trimmed === "") return null;
    return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0) + Number(m[4] ?? 0) / 1000;
}
