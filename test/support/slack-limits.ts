import { SLACK_LIMITS } from '../../handlers/shared/render/slack-blocks.js';

type Json = Record<string, unknown>;

/**
 * Every Block Kit limit the approval message can hit, checked on a whole message: returns the
 * violations (empty when it fits), so a failing test says which limit broke and where.
 */
export function slackLimitViolations(message: { text: string; blocks?: unknown[] }): string[] {
  const problems: string[] = [];
  const check = (ok: boolean, what: string) => {
    if (!ok) problems.push(what);
  };
  const blocks = (message.blocks ?? []) as Json[];
  check(blocks.length <= SLACK_LIMITS.blocks, `${blocks.length} blocks (max ${SLACK_LIMITS.blocks})`);
  check(message.text.length <= 4000, `fallback text of ${message.text.length} chars (max 4000)`);
  for (const [index, block] of blocks.entries()) {
    const text = (block.text as Json | undefined)?.text as string | undefined;
    if (block.type === 'header') {
      check((text ?? '').length <= SLACK_LIMITS.headerText, `block ${index}: header over ${SLACK_LIMITS.headerText}`);
    }
    if (block.type === 'section') {
      check((text ?? '').length <= SLACK_LIMITS.sectionText, `block ${index}: section text of ${text?.length}`);
      const fields = (block.fields as Json[] | undefined) ?? [];
      check(fields.length <= SLACK_LIMITS.fields, `block ${index}: ${fields.length} fields`);
      for (const field of fields) {
        check(String(field.text).length <= SLACK_LIMITS.fieldText, `block ${index}: field over 2000`);
      }
    }
    if (block.type === 'context') {
      const elements = (block.elements as Json[] | undefined) ?? [];
      check(elements.length <= 10, `block ${index}: ${elements.length} context elements`);
      for (const element of elements) check(String(element.text).length <= 3000, `block ${index}: context text`);
    }
    if (block.type === 'actions') {
      const elements = (block.elements as Json[] | undefined) ?? [];
      check(elements.length <= 25, `block ${index}: ${elements.length} elements`);
      for (const element of elements) {
        const label = ((element.text as Json | undefined)?.text as string | undefined) ?? '';
        if (element.type === 'button') {
          check(label.length <= SLACK_LIMITS.plainText, `block ${index}: button text "${label}"`);
          check(String(element.value ?? '').length <= SLACK_LIMITS.buttonValue, `block ${index}: button value`);
          check(String(element.url ?? '').length <= 3000, `block ${index}: button url`);
        }
        if (element.type === 'checkboxes') {
          const options = (element.options as Json[] | undefined) ?? [];
          check(options.length <= SLACK_LIMITS.checkboxOptions, `block ${index}: ${options.length} checkbox options`);
          for (const option of options) {
            const optionText = String((option.text as Json).text);
            check(optionText.length <= SLACK_LIMITS.plainText, `block ${index}: option "${optionText}"`);
            check(String(option.value).length <= 150, `block ${index}: option value`);
          }
        }
      }
    }
  }
  return problems;
}
