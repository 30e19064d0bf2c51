/**
 * In-memory state of one server instance. Everything an agent can reach is keyed by user id first,
 * so tenant isolation is structural: a lookup for another user's task simply finds nothing.
 * Nothing is ever deleted, which is what keeps offset cursors stable.
 */
import crypto from 'node:crypto';

export interface Task {
  id: string;
  user_id: string;
  title: string;
  status: string;
  description?: string;
  metadata?: Record<string, unknown>;
  created_at: string;
}

export interface Message {
  id: string;
  user_id: string;
  task_id: string;
  content: string;
  actor_type: 'agent' | 'user';
  agent_role: string | null;
  attachments: unknown;
  created_at: string;
}

export interface Document {
  id: string;
  user_id: string;
  task_id: string;
  title: string;
  content: string;
  doc_type: string;
  created_at: string;
}

/** Written by the `publish_announcement` tool, which waits for a person's approval. */
export interface Announcement {
  id: string;
  user_id: string;
  title: string;
  body: string;
  created_at: string;
}

export interface Notification {
  notification_id: string;
  user_id: string;
  session_key: string;
  content: string;
  task_id?: string;
  task_title?: string;
  delivered: boolean;
  delivered_at: string | null;
  created_at: string;
  /** Test-only (`?unchecked=true`): the delivery fields exactly as enqueued, valid or not. */
  raw?: Record<string, unknown>;
}

export interface AgentCall {
  kind: 'heartbeat' | 'standup';
  user_id: string;
  agent_role: string;
  timezone?: string;
  received_at: string;
}

type NewTask = Pick<Task, 'title' | 'status' | 'description' | 'metadata'>;
type NewMessage = Pick<Message, 'task_id' | 'content' | 'actor_type' | 'agent_role' | 'attachments'>;
type NewDocument = Pick<Document, 'task_id' | 'title' | 'content' | 'doc_type'>;
type NewNotification = Pick<Notification, 'user_id' | 'session_key' | 'content' | 'task_id' | 'task_title'>;

const newId = (prefix: string) => `${prefix}_${crypto.randomUUID()}`;
const now = () => new Date().toISOString();

/** Drops undefined fields so JSON responses and inspection output only show what was set. */
function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

export class Store {
  private readonly tasksByUser = new Map<string, Task[]>();
  private readonly tasksById = new Map<string, Task>();
  private readonly messages: Message[] = [];
  private readonly documents: Document[] = [];
  private readonly notifications: Notification[] = [];
  private readonly calls: AgentCall[] = [];
  private readonly announcements: Announcement[] = [];

  createTask(userId: string, input: NewTask): Task {
    const task = compact<Task>({ id: newId('task'), user_id: userId, ...input, created_at: now() });
    const list = this.tasksByUser.get(userId) ?? [];
    list.push(task);
    this.tasksByUser.set(userId, list);
    this.tasksById.set(task.id, task);
    return task;
  }

  /** Returns the task only when it belongs to `userId`; another user's task looks missing. */
  findTask(userId: string, taskId: string): Task | undefined {
    const task = this.tasksById.get(taskId);
    return task && task.user_id === userId ? task : undefined;
  }

  /** One page of `userId`'s tasks in creation order, starting at `offset`. */
  listTasks(userId: string, offset: number, limit: number): { items: Task[]; nextOffset: number | null } {
    const all = this.tasksByUser.get(userId) ?? [];
    const items = all.slice(offset, offset + limit);
    const end = offset + items.length;
    return { items, nextOffset: end < all.length ? end : null };
  }

  createMessage(userId: string, input: NewMessage): Message {
    const message = compact<Message>({ id: newId('msg'), user_id: userId, ...input, created_at: now() });
    this.messages.push(message);
    return message;
  }

  createDocument(userId: string, input: NewDocument): Document {
    const doc = compact<Document>({ id: newId('doc'), user_id: userId, ...input, created_at: now() });
    this.documents.push(doc);
    return doc;
  }

  createAnnouncement(userId: string, input: Pick<Announcement, 'title' | 'body'>): Announcement {
    const item: Announcement = { id: newId('ann'), user_id: userId, ...input, created_at: now() };
    this.announcements.push(item);
    return item;
  }

  enqueueNotification(input: NewNotification): Notification {
    const notification = compact<Notification>({
      notification_id: newId('ntf'),
      ...input,
      delivered: false,
      delivered_at: null,
      created_at: now(),
    });
    this.notifications.push(notification);
    return notification;
  }

  /**
   * Test-only: stores `fields` as the delivery exactly as given (missing or malformed fields
   * included), so a runtime's handling of a misbehaving backend can be tested. The id is ours.
   */
  enqueueUnchecked(fields: Record<string, unknown>): Notification {
    const text = (v: unknown) => (typeof v === 'string' ? v : '');
    const notification: Notification = {
      notification_id: newId('ntf'),
      user_id: text(fields.user_id),
      session_key: text(fields.session_key),
      content: text(fields.content),
      delivered: false,
      delivered_at: null,
      created_at: now(),
      raw: { ...fields },
    };
    this.notifications.push(notification);
    return notification;
  }

  /**
   * Undelivered notifications, oldest first: the first `limitUsers` users that have any, and for
   * each at most `limitNotifications` of theirs, so one noisy user cannot starve the others.
   */
  undelivered(limitUsers: number, limitNotifications: number): Notification[] {
    const perUser = new Map<string, Notification[]>();
    for (const n of this.notifications) {
      if (n.delivered) continue;
      let list = perUser.get(n.user_id);
      if (!list) {
        if (perUser.size >= limitUsers) continue;
        list = [];
        perUser.set(n.user_id, list);
      }
      if (list.length < limitNotifications) list.push(n);
    }
    return [...perUser.values()].flat();
  }

  /** Marks delivered; acking again keeps the first delivery time. Undefined when id/user do not match. */
  markDelivered(notificationId: string, userId: string): Notification | undefined {
    const n = this.notifications.find((x) => x.notification_id === notificationId && x.user_id === userId);
    if (n && !n.delivered) {
      n.delivered = true;
      n.delivered_at = now();
    }
    return n;
  }

  recordCall(call: Omit<AgentCall, 'received_at'>): AgentCall {
    const recorded = compact<AgentCall>({ ...call, received_at: now() });
    this.calls.push(recorded);
    return recorded;
  }

  /** A copy of everything, optionally for one user, for tests and demos. */
  snapshot(userId?: string) {
    const mine = <T extends { user_id: string }>(items: T[]) =>
      items.filter((x) => userId === undefined || x.user_id === userId).map((x) => ({ ...x }));
    const tasks = [...this.tasksById.values()];
    return {
      tasks: mine(tasks),
      messages: mine(this.messages),
      documents: mine(this.documents),
      notifications: mine(this.notifications),
      heartbeats: mine(this.calls.filter((c) => c.kind === 'heartbeat')),
      standups: mine(this.calls.filter((c) => c.kind === 'standup')),
      announcements: mine(this.announcements),
    };
  }
}
