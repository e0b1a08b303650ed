export async function runDemo(_o: unknown): Promise<0> { return 0; }
