// The request parameters a service sees: merged from the query string, the urlencoded body and
// multipart text parts (clients put them in any of the three, clients.md §7.3), plus uploaded
// files. Services read names; they never see where a value came from.
export interface Params {
  get(name: string): string | undefined;
  has(name: string): boolean;
  /** Bytes of a multipart file part of that name. */
  file(name: string): Buffer | undefined;
}

export class MapParams implements Params {
  constructor(
    private readonly values: ReadonlyMap<string, string>,
    private readonly files: ReadonlyMap<string, Buffer> = new Map(),
  ) {}
  get(name: string): string | undefined {
    return this.values.get(name);
  }
  has(name: string): boolean {
    return this.values.has(name) || this.files.has(name);
  }
  file(name: string): Buffer | undefined {
    return this.files.get(name);
  }
}
