export async function runServe(_o: unknown): Promise<0> { return 0; }
