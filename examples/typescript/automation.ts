// Run landingZone() inline through the Node.js Automation API: `node bin/automation.js <command> <work dir> [stack]`
// with command up, preview, preview-refresh (preview --refresh --expect-no-changes), refresh or destroy. The
// environment (backend, passphrase, plugins on PATH, credentials) is the caller's. Prints one JSON line: the
// command's result, or {"error": ..., "exitCode": ...}.
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { landingZone } from "./landingZone";

async function main(command: string, workDir: string, stackName: string): Promise<unknown> {
    const stack = await LocalWorkspace.createOrSelectStack(
        { stackName, projectName: "partner-attribution-typescript", program: async () => landingZone() },
        { workDir, projectSettings: { name: "partner-attribution-typescript", runtime: "nodejs" }, secretsProvider: "passphrase" },
    );
    switch (command) {
        case "up": {
            const result = await stack.up();
            return { summary: result.summary, outputs: await stack.outputs() };
        }
        case "preview":
            return { changeSummary: (await stack.preview({ expectNoChanges: true })).changeSummary };
        case "preview-refresh":
            return { changeSummary: (await stack.preview({ refresh: true, expectNoChanges: true, diff: true })).changeSummary };
        case "refresh":
            return { summary: (await stack.refresh()).summary };
        case "destroy":
            return { summary: (await stack.destroy()).summary };
        default:
            throw new Error(`unknown command ${command}: up, preview, preview-refresh, refresh or destroy`);
    }
}

main(process.argv[2], process.argv[3], process.argv[4] ?? "dev").then(
    (result) => console.log(JSON.stringify(result)),
    (error) => {
        // The CLI's own exit code ("Command failed with exit code 7": drift), not the Automation API's wrapper code.
        const exitCode = /exit code (\d+)/.exec(String(error?.message ?? error))?.[1];
        console.log(JSON.stringify({ error: String(error?.message ?? error), exitCode: exitCode ? Number(exitCode) : null }));
        process.exitCode = 1;
    },
);
