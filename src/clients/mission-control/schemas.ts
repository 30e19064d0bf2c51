/**
 * The response shapes of Mission Control contract v1 (docs/contract.md) that this runtime relies on.
 * Checked loosely: fields we read must be there with the right type; anything extra a backend
 * adds is kept, so a richer backend never breaks us and the model sees what it sent.
 */
import { z } from 'zod';

/** The contract does not fix an id type; backends use strings or numbers. */
export const idSchema = z.union([z.string().min(1), z.number()]);
export type BackendId = z.infer<typeof idSchema>;

export const taskSchema = z.looseObject({
  id: idSchema,
  title: z.string(),
  status: z.string().optional(),
  description: z.string().nullish(),
});
export type Task = z.infer<typeof taskSchema>;

export const taskPageSchema = z.looseObject({
  items: z.array(taskSchema),
  next_cursor: z.string().nullish(),
});
export type TaskPage = z.infer<typeof taskPageSchema>;

export const messageSchema = z.looseObject({ id: idSchema, task_id: idSchema, content: z.string() });
export type Message = z.infer<typeof messageSchema>;

export const documentSchema = z.looseObject({
  id: idSchema,
  task_id: idSchema,
  title: z.string(),
  doc_type: z.string().nullish(),
});
export type MissionControlDocument = z.infer<typeof documentSchema>;

const featureFlag = z.boolean().default(false);
export const capabilitiesSchema = z.looseObject({
  contract_version: z.string(),
  features: z
    .looseObject({
      tasks: featureFlag,
      messages: featureFlag,
      documents: featureFlag,
      notifications_dispatch: featureFlag,
      heartbeat: featureFlag,
      standup: featureFlag,
      tools: featureFlag,
      // The original Clasper control-plane starter's name for the same feature.
      tool_requests: featureFlag,
    })
    .transform(({ tool_requests, ...f }) => ({ ...f, tools: f.tools || tool_requests }))
    // A backend that omits `features` offers none of the optional ones.
    .prefault({}),
});
export type Capabilities = z.infer<typeof capabilitiesSchema>;

/** `GET …/dispatch/undelivered`, each delivery left unchecked, for the dispatcher to check one by one. */
export const undeliveredRawSchema = z.looseObject({ deliveries: z.array(z.unknown()) });

/** Any JSON value: heartbeat, standup and backend tools answer in their own shapes. */
export const anyJson = z.unknown();

/**
 * `GET /api/tools` entries, accepted in the two shapes seen in practice: plain
 * `{name, description, parameters}` or OpenAI's `{type: "function", function: {…}}`.
 */
const plainToolSchema = z.looseObject({
  name: z.string(),
  description: z.string().nullish(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
  input_schema: z.record(z.string(), z.unknown()).nullish(),
  /** Calls of this tool wait for a person's approval before they run (docs/contract.md). */
  requires_approval: z.boolean().nullish(),
});
const openAiToolSchema = z.looseObject({ type: z.literal('function'), function: plainToolSchema });
const backendToolSchema = z.union([openAiToolSchema.transform((t) => t.function), plainToolSchema]);
export type BackendTool = z.output<typeof plainToolSchema>;
/** A bare array, `{tools: […]}` or `{items: […]}`, normalised to the plain entries. */
export const backendToolListSchema = z.union([
  z.array(backendToolSchema),
  z.looseObject({ tools: z.array(backendToolSchema) }).transform((b) => b.tools),
  z.looseObject({ items: z.array(backendToolSchema) }).transform((b) => b.items),
]);
