// The bus as every default names it: the stream, its subjects, and the durables of the three
// consumers. The server configuration's permissions are written against it. The stream name is
// written here only; YAML and Markdown repeat it (checked by app/config/defined-once.test.ts).
import { CONSUMER_NAMES } from '../consumer/handlers/index.ts';
import type { BusLayout } from './identities.ts';

export const EVENT_BUS_LAYOUT: BusLayout = { stream: 'BUDDY_EVENTS', subjectPrefix: 'buddy-events', durables: CONSUMER_NAMES };
