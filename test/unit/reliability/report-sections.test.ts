import {
  ATTACKS_SECTION_END,
  ATTACKS_SECTION_START,
  CLUSTER_SECTION_END,
  CLUSTER_SECTION_START,
  keptSections,
} from '../../reliability/lib/report';

describe('docs/reliability.md sections a rewrite keeps', () => {
  it('keeps the cluster figures and the attack list, drops the generated part', () => {
    const cluster = `${CLUSTER_SECTION_START}\n## cluster\n${CLUSTER_SECTION_END}`;
    const attacks = `${ATTACKS_SECTION_START}\n## attacks\n${ATTACKS_SECTION_END}`;
    const doc = `# Reliability figures\nold generated table\n\n${cluster}\n\n${attacks}\n`;
    expect(keptSections(doc)).toBe(`${cluster}\n\n${attacks}`);
    expect(keptSections(doc)).not.toContain('old generated table');
    expect(keptSections(`# only generated\n${ATTACKS_SECTION_START} unterminated`)).toBeUndefined();
  });
});
