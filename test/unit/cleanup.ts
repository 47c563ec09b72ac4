import { removeTempDirs } from "./fixtures";

afterAll(() => removeTempDirs());
