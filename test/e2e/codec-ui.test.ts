/**
 * The Temporal UI reads encrypted turns through our codec server, in a real browser: a dev server
 * of this test's own with its UI started as `make dev` starts it (`--ui-codec-endpoint` pointing at
 * the API's /codec/<token>), one encrypted turn, and headless Chromium (Debian's, over the
 * DevTools protocol) opening the turn's page. What Temporal stores is ciphertext (data-protection
 * .test.ts proves it with the CLI); the page shows the message, so it came through the codec. The
 * screenshot is kept in the test's tmp dir for a person to look at.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generatePayloadKey } from '../../src/clients/temporal/payload-codec';
import { freePort, startDevServer, type DevServer } from '../../scripts/lib/temporal-dev-server';
import { openPage, type BrowserPage } from '../support/browser';
import { sendBody, startStack, type Stack } from '../support/stack';
import { send } from './helpers';

jest.setTimeout(180_000);

const TOKEN = 'ui-codec-token-0123456789';
const MARK = 'ZEBRA-IN-THE-BROWSER-3141';

const pageShows = (text: string) => `(document.body?.innerText ?? '').includes(${JSON.stringify(text)})`;

describe('the Temporal UI decodes payloads through the codec server', () => {
  let server: DevServer | undefined;
  let stack: Stack | undefined;
  let page: BrowserPage | undefined;
  const shots = fs.mkdtempSync(path.join(os.tmpdir(), 'clasper-codec-ui-'));

  afterAll(async () => {
    await page?.close();
    await stack?.stop();
    await server?.stop();
  });

  it('opens an encrypted turn in the UI and shows its decoded input and result', async () => {
    const [uiPort, apiPort] = [await freePort(), await freePort()];
    server = await startDevServer({
      uiPort,
      uiCodecEndpoint: `http://127.0.0.1:${apiPort}/codec/${TOKEN}`,
    });
    stack = await startStack({
      temporalAddress: server.address,
      env: {
        CLASPER_PAYLOAD_KEYS: generatePayloadKey('ui'),
        CLASPER_CODEC_TOKEN: TOKEN,
        CLASPER_CODEC_CORS_ORIGINS: `http://127.0.0.1:${uiPort}`,
      },
    });
    await stack.api.listen({ port: apiPort, host: '127.0.0.1' });
    stack.llm.script({ text: `The answer, decoded. ${MARK}-ANSWER` });
    const res = await send(
      stack,
      sendBody({ user_id: 'ui1', session_key: 'user:ui1:lead', message: `Please decode ${MARK}` }),
    );
    expect(res.statusCode).toBe(200);
    const turnId = res.json().turn_id as string;
    const { runId } = await stack.client.workflow.getHandle(turnId).describe();

    page = await openPage();
    await page.navigate(
      `http://127.0.0.1:${uiPort}/namespaces/default/workflows/${encodeURIComponent(turnId)}/${runId}/history`,
    );
    const deadline = Date.now() + 90_000;
    let shown = false;
    while (!shown && Date.now() < deadline) {
      // The page may be between documents (the UI redirects once): then it shows nothing yet.
      shown = await page.evaluate<boolean>(pageShows(MARK)).catch(() => false);
      if (!shown) await new Promise((r) => setTimeout(r, 500));
    }
    const shot = path.join(shots, 'turn-decoded.png');
    await page.screenshot(shot);
    process.stdout.write(`codec UI screenshot: ${shot}\n`);
    expect({ shown, screenshot: shot }).toEqual({ shown: true, screenshot: shot });
    // Both the input (the message) and the result (the answer) came back readable.
    expect(
      await page.evaluate<boolean>(`document.body.innerText.includes(${JSON.stringify(`${MARK}-ANSWER`)})`),
    ).toBe(true);
  });
});
