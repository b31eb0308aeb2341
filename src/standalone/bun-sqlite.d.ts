// The part of bun:sqlite used here. Bun's own type package would clash with the
// Workers types this project also compiles against.

declare module 'bun:sqlite' {
  export class Database {
    constructor(path: string);
    prepare(sql: string): { all(...params: unknown[]): unknown[]; run(...params: unknown[]): unknown };
    exec(sql: string): void;
    close(): void;
  }
}
