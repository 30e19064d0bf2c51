import type { LookupAddress, LookupOptions } from 'node:dns';
import { pinnedLookup } from '../../../../src/clients/webhook/pinned-post';

const checked = [
  { address: '93.184.215.14', family: 4 },
  { address: '2606:2800:21f:cb07:6820:80da:af6b:8b2c', family: 6 },
];

function ask(
  hostname: string,
  options: LookupOptions,
): { err: NodeJS.ErrnoException | null; address: string | LookupAddress[]; family?: number } {
  let answer: ReturnType<typeof ask> | undefined;
  pinnedLookup('hooks.example.com', checked)(hostname, options, (err, address, family) => {
    answer = { err, address, family };
  });
  if (!answer) throw new Error('lookup did not answer synchronously');
  return answer;
}

describe('pinnedLookup', () => {
  it('answers every checked address when node asks for all (autoSelectFamily)', () => {
    expect(ask('hooks.example.com', { all: true })).toEqual({ err: null, address: checked });
  });

  it('answers one address of the family asked for', () => {
    expect(ask('hooks.example.com', {})).toEqual({ err: null, address: '93.184.215.14', family: 4 });
    expect(ask('hooks.example.com', { family: 6 })).toMatchObject({
      address: '2606:2800:21f:cb07:6820:80da:af6b:8b2c',
      family: 6,
    });
    expect(ask('hooks.example.com', { family: 'IPv4', all: true })).toMatchObject({
      address: [checked[0]],
    });
  });

  it('never answers a name it was not pinned for, nor a family with no checked address', () => {
    expect(ask('other.example.com', {}).err).toMatchObject({ code: 'ENOTFOUND' });
    const v4only = pinnedLookup('h.example', [checked[0]!]);
    let err: NodeJS.ErrnoException | null = null;
    v4only('h.example', { family: 6, all: true }, (e, address) => {
      err = e;
      expect(address).toEqual([]);
    });
    expect(err).toMatchObject({ code: 'ENOTFOUND' });
  });
});
