import { capabilitiesSchema } from '../../../../src/clients/mission-control/schemas';

describe('capabilities', () => {
  it('accepts tool_requests (the original Clasper starter) as an alias of tools', () => {
    const caps = capabilitiesSchema.parse({ contract_version: 'v1', features: { tool_requests: true } });
    expect(caps.features).toMatchObject({ tools: true, notifications_dispatch: false });
    expect(caps.features).not.toHaveProperty('tool_requests');
  });

  it('offers no optional feature when features is missing or says false', () => {
    expect(capabilitiesSchema.parse({ contract_version: 'v1' }).features.tools).toBe(false);
    const off = { contract_version: 'v1', features: { tools: false, tool_requests: false, x: 1 } };
    expect(capabilitiesSchema.parse(off).features).toMatchObject({ tools: false, x: 1 });
  });
});
