// Strings that break naive PowerShell quoting, for property tests.
import fc from "fast-check";

/** Strings built from the pieces that break naive quoting. */
const NASTY = [
  "'",
  "''",
  '"',
  "`",
  "$",
  "$(whoami)",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: PowerShell syntax as data, on purpose.
  "${env:PATH}",
  ";",
  "|",
  "&",
  "#",
  "@{",
  "}",
  "(",
  ")",
  "\n",
  "\r\n",
  "\t",
  "--%",
  "\u2018",
  "\u2019",
  "\u201a",
  "\u201b",
  "\u201c",
  "\u201d",
  "é",
  "日本",
  "😀",
  " ",
  "\\",
  "-Force",
];
export const nastyString = fc
  .array(fc.oneof(fc.constantFrom(...NASTY), fc.string({ unit: "binary", maxLength: 6 })), { maxLength: 12 })
  .map((parts) => parts.join(""))
  .filter((s) => !s.includes("\u0000"));
