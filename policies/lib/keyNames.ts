// What a property key says about its value.

/** Key endings, lower case with separators removed, of properties that hold a client secret or password. */
const SECRET_KEY_ENDINGS = ["clientsecret", "clientsecretvalue", "secretvalue", "password", "passwordvalue", "passwd"];

function squashed(key: string): string {
    return key.toLowerCase().replace(/[^a-z0-9]/g, "");
}

/** The words of a key in any casing: `keyId`, `key-id`, `KEY_ID` all give ["key", "id"]. */
export function keyWords(key: string): string[] {
    return key
        .replace(/IDs(?![a-z])/g, "Ids")
        .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
        .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
        .split(/[^A-Za-z0-9]+/)
        .filter((w) => w.length > 0)
        .map((w) => w.toLowerCase());
}

/** `clientSecret`, `client_secret`, `AZURE_CLIENT_SECRET`, `ARM_CLIENT_SECRET`, `password`, `adminPassword`, ... */
export function namesSecretValue(key: string): boolean {
    const flat = squashed(key);
    return SECRET_KEY_ENDINGS.some((ending) => flat.endsWith(ending));
}

/** `keyId`, `secret-id`, `CLIENT_SECRET_ID`, `objectIds`: the value is an identifier, and a GUID there is right. */
export function namesIdentifier(key: string): boolean {
    const words = keyWords(key);
    const last = words[words.length - 1];
    return last === "id" || last === "ids" || last === "guid" || last === "uuid";
}

/** Key endings (squashed) that say an app's client secret, as opposed to any password (a VM's admin password, a database's). */
const CLIENT_SECRET_ENDINGS = ["clientsecret", "clientsecretvalue", "clientpassword", "apppassword", "applicationpassword", "serviceprincipalpassword", "sppassword"];

/** `clientSecret`, `AZURE_CLIENT_SECRET`, `appPassword`: the value is an Entra app's client secret, where a GUID is a Secret ID mistake. */
export function namesClientSecret(key: string): boolean {
    const flat = squashed(key);
    return CLIENT_SECRET_ENDINGS.some((ending) => flat.endsWith(ending));
}

/**
 * Free text (a secret's name, a tag) that speaks of an app's client secret or password:
 * "billing-api-client-secret", "client secret of billing", "app-password".
 */
export function textSaysClientSecret(text: string): boolean {
    const words = keyWords(text);
    const has = (...w: string[]) => w.some((x) => words.includes(x));
    return (has("client") && has("secret", "password", "pwd")) || (has("app", "application", "sp", "spn") && has("password", "pwd", "secret"))
        || namesClientSecret(text);
}
