// ESLint: the recommended rules of ESLint, and for TypeScript those of typescript-eslint with type information,
// so a floating promise (an engine call or a Pulumi output never awaited) is caught.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

/** The Node.js globals the plain JavaScript files use. */
const nodeGlobals = {
    require: "readonly",
    module: "writable",
    process: "readonly",
    console: "readonly",
    __dirname: "readonly",
};

export default tseslint.config(
    { ignores: ["bin/", "dist/", "node_modules/", "reports/", ".state/"] },
    {
        files: ["**/*.ts"],
        extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
        languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
        rules: {
            // `const { dropped: _dropped, ...kept } = x` is how a field is left out of a copy.
            "@typescript-eslint/no-unused-vars": ["error", { ignoreRestSiblings: true }],
            // prettier wraps code at 120 columns but leaves long comments and strings: this catches those.
            // A message stays on one line, so grep finds it from what a user saw.
            "max-len": [
                "error",
                {
                    code: 120,
                    ignoreUrls: true,
                    ignoreStrings: true,
                    ignoreTemplateLiterals: true,
                    ignoreRegExpLiterals: true,
                },
            ],
        },
    },
    {
        // Helpers and configs node runs directly, outside the TypeScript project.
        files: ["**/*.js"],
        extends: [js.configs.recommended],
        languageOptions: { sourceType: "commonjs", globals: nodeGlobals },
    },
    {
        files: ["**/*.mjs"],
        extends: [js.configs.recommended],
        languageOptions: { sourceType: "module", globals: nodeGlobals },
    },
);
