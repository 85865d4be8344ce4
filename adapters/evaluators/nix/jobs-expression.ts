/**
 * The Nix expression that lists a release file's jobs for `nix-instantiate --eval --strict --json`:
 * it imports the entry (calling it if it is a function, with the arguments it asks for among
 * `system` and `supportedSystems` when systems are given), walks attribute sets as Hydra's release.nix convention does,
 * naming nested jobs with dots, and maps each derivation to its `.drv` path, system and outputs.
 * Reading `drvPath` makes nix write the `.drv` files into the store. Values that are neither sets
 * nor derivations are left out, as `nix-env -qa` leaves them out.
 */

/** A Nix string literal. */
export function nixString(text: string): string {
  return `"${text.replace(/[\\"$]/g, (char) => `\\${char}`).replace(/\n/g, '\\n')}"`;
}

/** The expression for the entry file at `entryPath` (absolute). */
export function jobsExpression(entryPath: string, systems: readonly string[]): string {
  // No systems asked for: the release file's own defaults apply.
  const offered =
    systems.length === 0
      ? '{ }'
      : `{ supportedSystems = [ ${systems.map(nixString).join(' ')} ]; system = ${nixString(systems[0]!)}; }`;
  return `
let
  entry = import (/. + ${nixString(entryPath)});
  offered = ${offered};
  top = if builtins.isFunction entry then entry (builtins.intersectAttrs (builtins.functionArgs entry) offered) else entry;
  job = name: drv: {
    inherit name;
    value = {
      drvPath = drv.drvPath;
      system = drv.system;
      outputs = builtins.listToAttrs (map (o: { name = o; value = drv.\${o}.outPath; }) (drv.outputs or [ "out" ]));
    };
  };
  walk = prefix: value:
    if builtins.isAttrs value then
      if (value.type or null) == "derivation" then [ (job prefix value) ]
      else builtins.concatMap
        (name: walk (if prefix == "" then name else "\${prefix}.\${name}") value.\${name})
        (builtins.attrNames value)
    else [ ];
in builtins.listToAttrs (walk "" top)
`;
}
