// Jest globalSetup of the unit tests: the spy lib some of them read configs with.
import { ensureSpyLib } from "../testEnvironment";

export default function setup(): void {
    ensureSpyLib();
}
