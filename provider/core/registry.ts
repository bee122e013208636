// Stable resource keys -> the module that defines them (relative to the package root, no
// extension). State written by any earlier version names its key; keep every key here forever,
// even when a module moves, so refresh and delete of old stacks keep working.
export const REGISTRY: Readonly<Record<string, string>> = {};
