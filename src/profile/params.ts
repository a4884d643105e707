// The request parameters a service sees: merged from the query string, the urlencoded body and
// multipart text parts (clients put them in any of the three, clients.md §7.3), plus uploaded
// files. Services read names; they never see where a value came from.
export interface Params {
  get(name: string): string | undefined;
  has(name: string): boolean;
  /** Bytes of a multipart file part of that name. */
  file(name: string): Buffer | undefined;
  /**
   * The caller is done with every file's bytes (an image service, once processing finished):
   * their memory may be reused, and file() answers undefined from now on.
   */
  releaseFiles?(): void;
}

export class MapParams implements Params {
  private readonly files: Map<string, Buffer>;
  private released = false;

  constructor(
    private readonly values: ReadonlyMap<string, string>,
    files: ReadonlyMap<string, Buffer> = new Map(),
    private readonly onRelease?: () => void,
  ) {
    this.files = new Map(files);
  }
  get(name: string): string | undefined {
    return this.values.get(name);
  }
  has(name: string): boolean {
    return this.values.has(name) || (!this.released && this.files.has(name));
  }
  file(name: string): Buffer | undefined {
    return this.released ? undefined : this.files.get(name);
  }
  releaseFiles(): void {
    if (this.released) return;
    this.released = true;
    this.files.clear();
    this.onRelease?.();
  }
}
