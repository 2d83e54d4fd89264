// Tenant text on the Teams / Workflows card: an Adaptive Card TextBlock renders a Markdown subset
// (bold, italic, lists, links: https://learn.microsoft.com/adaptive-cards/authoring-cards/text-features),
// so an app named "[Reset your password](https://evil.example)" would become a link on the card.
// Names go on the card as one clean line with every Markdown and link character backslash-escaped
// (CommonMark: "Any ASCII punctuation character may be backslash-escaped"). Whether a Teams client
// also links a bare URL in text is not documented; a name's "://" gets a space (": //") and its
// "www." a one-dot leader (U+2024) so that cannot matter. Pure.
import { printable } from "../../lib/terminalText";

const MARKDOWN_PUNCTUATION = /[\\`*_{}[\]()<>#+\-.!|~:>="']/g;

/** `text` (a display name, a secret name) as literal text on an Adaptive Card. */
export function cardText(text: unknown): string {
    return printable(text)
        .replace(/:\/\//g, ": //").replace(/\bwww\./gi, (m) => `${m.slice(0, 3)}\u2024`)
        .replace(MARKDOWN_PUNCTUATION, (c) => `\\${c}`);
}
