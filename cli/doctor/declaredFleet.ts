// The fleet as `keyrelay plan` loads it: the program run once under the mock runtime (the same
// SimulatedEngine, program file and stack config), read for each Application's displayName and the
// longest lifetime its passwords ask for. Nothing leaves the process.
import { DateTime } from "luxon";
import { KeyrelayError } from "../../lib/errors";
import { PERIOD_START_MARKER } from "../../components/schedule";
import { SimulatedEngine, TYPES, programFromFile, stackConfigFromFile } from "../../simulation/engine";
import { CliError, EXIT_CRITICAL } from "../errors";
import type { CliContext } from "../context";
import { describeProgramError, targetProgram } from "../plan/command";
import { learnFleet } from "../plan/fleetModel";
import { DeclaredApp } from "./tenantRules";

const DAY_MS = 86_400_000;

export async function declaredFleet(options: { cwd?: string; program?: string; stack?: string }, context: CliContext, at: DateTime): Promise<{ project: string; stack: string; apps: DeclaredApp[] }> {
    const { project, stack, configFile, entry: programFile, workDir: programDir } = targetProgram(options, context, "doctor");
    const engine = new SimulatedEngine({ program: programFromFile(programFile), config: stackConfigFromFile(configFile), stack, project });
    const report = await engine.run(at).catch((error: Error) => {
        throw new CliError(new KeyrelayError("ProgramFailed", `keyrelay doctor: the program fails: ${describeProgramError(error, programDir)}`), EXIT_CRITICAL);
    });
    if (report.errors.length > 0) throw new CliError(new KeyrelayError("ProgramFailed", `keyrelay doctor: the program fails: ${String(report.errors[0]).split(/\r?\n/)[0]}`), EXIT_CRITICAL);
    const resources = engine.resources();
    // Each keyrelay unit's schedule, as the plan learns it: validFor is what every later credential lives.
    const units = learnFleet(resources.map((r) => ({ type: r.type, name: r.name, urn: r.urn, parent: r.parent, inputs: r.inputs, outputs: r.outputs, propertyDependencies: r.propertyDependencies })), at).units;
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const unitOf = (urn: string | undefined): (typeof units)[number] | undefined => {
        for (let at = urn; at; at = byUrn.get(at)?.parent) {
            const unit = units.find((u) => u.urn === at);
            if (unit) return unit;
        }
        return undefined;
    };
    const apps = resources.filter((r) => r.type === TYPES.application);
    return {
        project, stack,
        apps: apps.map((app) => {
            const unit = unitOf(app.parent);
            const lifetimes = resources.filter((r) => r.type === TYPES.applicationPassword && (r.inputs.applicationId === app.id || r.inputs.applicationId === app.outputs.id))
                .map((p) => (Date.parse(p.inputs.endDate) - Date.parse(p.inputs.rotateWhenChanged?.[PERIOD_START_MARKER] ?? p.inputs.startDate)) / DAY_MS)
                .filter((days) => Number.isFinite(days));
            const validForDays = unit ? unit.schedule.validForMs / DAY_MS : lifetimes.length > 0 ? Math.max(...lifetimes) : 0;
            return { displayName: String(app.inputs.displayName), validForDays };
        }),
    };
}
