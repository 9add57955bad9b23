// The REST side of the consumer: @latchkey/client's typed call to `GET /api/v1/me`.
import { createLatchkeyClient, type Me } from '@latchkey/client';

export async function whoAmI(baseUrl: string, token: string): Promise<Me> {
  const latchkey = createLatchkeyClient({ baseUrl, token });
  const { data, error } = await latchkey.GET('/me');
  if (error) throw new Error(`${error.code}: ${error.message}`);
  return data;
}
