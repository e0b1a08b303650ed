// Used by tsconfig.build.json only (see there): the fields of package.json that src/ imports.
declare module '*/package.json' {
  export const version: string;
  export const name: string;
}
