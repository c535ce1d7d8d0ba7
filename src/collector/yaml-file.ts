import { Document } from 'yaml';
import { generatedLine } from '../generated-header.js';

/** Serialises an object as a stamped YAML file; same object → same bytes. */
export function yamlFile(value: unknown, command: string): string {
  // No anchors/aliases: shared objects are written out in full, as people read these files.
  const doc = new Document(value, { aliasDuplicateObjects: false });
  doc.commentBefore = ` ${generatedLine(command)}`;
  // No line folding: long PromQL stays on one line, as people grep for it.
  return doc.toString({ lineWidth: 0, minContentWidth: 0 });
}
