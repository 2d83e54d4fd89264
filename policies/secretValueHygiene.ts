// Entra compares client secrets exactly: a stray space, a line break from `echo` or the quotes of a
// JSON/YAML string in a stored secret all fail sign-in.
import { secretValueProblems, spansLinesByRight } from "./lib/hygieneProblems";
import { describeResource } from "./lib/resourceKinds";
import { resourcePolicy } from "./lib/resourcePolicy";
import type { ResourceView } from "./lib/resourceView";
import { secretPlacements } from "./lib/secretPlacements";

export const SECRET_VALUE_HYGIENE = "secret-value-hygiene";

/** A secret value that is empty, or carries whitespace, line breaks or quotes around it. */
export function hygieneViolations(resource: ResourceView): string[] {
    const what = describeResource(resource.type, resource.name);
    const violations: string[] = [];
    for (const placement of secretPlacements(resource.type, resource.props, resource.urn)) {
        if (placement.joined) continue;
        const problems = secretValueProblems(placement.value, { multiLine: spansLinesByRight(placement.contentType, placement.value, placement.clientSecret) });
        if (problems.length === 0) continue;
        violations.push(`${what}: the secret value at ${placement.path} ${problems.join(", ")}. Store the value exactly as Entra issued it, ` +
            "with no surrounding whitespace, zero-width characters, line breaks or quotes: pass the password's `value` output straight through rather than a copied or templated string.");
    }
    return violations;
}

export const secretValueHygiene = resourcePolicy({
    name: SECRET_VALUE_HYGIENE,
    description: "A secret value must not be empty, and must not carry leading or trailing whitespace, line breaks or wrapping quotes.",
    level: "mandatory",
    check: hygieneViolations,
});
