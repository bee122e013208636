// tree-sitter-powershell (npm package, its published wasm) loaded through web-tree-sitter.
import { Language, Parser } from "web-tree-sitter";

export async function grammar(): Promise<Parser> {
  await Parser.init();
  const lang = await Language.load(require.resolve("tree-sitter-powershell/tree-sitter-powershell.wasm"));
  const p = new Parser();
  p.setLanguage(lang);
  return p;
}
