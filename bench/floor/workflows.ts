/** The smallest workflow there is: the floor measurement's bundle (bench/idle-floor.ts). */
export async function hello(): Promise<string> {
  return 'hi';
}
