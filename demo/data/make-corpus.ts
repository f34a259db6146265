// Writes demo/data/corpus.txt, the text task's built-in corpus: about 64 KB of English-like
// prose composed from word lists by a small seeded grammar, so the project ships its own text
// (no copyright question) and a char-level model has real structure to learn: words, spelling,
// capitals after a full stop, commas, quoted dialogue, paragraphs.
//
//   npx tsx demo/data/make-corpus.ts        (deterministic: same seed, same file)
import { writeFileSync } from 'node:fs';
import { rng } from '../tasks/random.js';

const TARGET_BYTES = 64 * 1024;

const rand = rng(1887);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
const chance = (p: number): boolean => rand() < p;

const names = ['Anna', 'Thomas', 'Eliza', 'the captain', 'old Martin', 'the miller', 'Clara', 'the doctor', 'young Peter', 'Margaret', 'the keeper', 'Hugh', 'the widow', 'Jonas', 'the girl', 'the boy'];
const people = ['the sailor', 'the farmer', 'a stranger', 'the teacher', 'the baker', 'her brother', 'his mother', 'the fisherman', 'an old woman', 'the shepherd', 'the children', 'the soldiers', 'the travellers', 'our neighbour'];
const things = ['the lamp', 'a letter', 'the boat', 'the gate', 'a basket of apples', 'the old map', 'the bell', 'a small key', 'the bread', 'the nets', 'a blue coat', 'the candle', 'the wooden box', 'the ladder', 'a bundle of wood', 'the kettle', 'the ropes'];
const places = ['the harbour', 'the hill', 'the village', 'the mill', 'the river', 'the forest', 'the lighthouse', 'the church', 'the market', 'the road', 'the garden', 'the bridge', 'the shore', 'the orchard', 'the valley', 'the square'];
const times = ['In the morning', 'At dawn', 'By noon', 'That evening', 'Late at night', 'Before the storm', 'After supper', 'On Sunday', 'In the spring', 'When the tide turned', 'At first light', 'Some days later', 'All that winter', 'Long ago'];
const adjectives = ['cold', 'quiet', 'bright', 'dark', 'narrow', 'green', 'grey', 'warm', 'empty', 'heavy', 'small', 'old', 'wet', 'silent', 'golden', 'crooked', 'steep', 'gentle'];
const weather = ['the wind rose from the west', 'rain fell on the roofs', 'the fog lay over the water', 'the sun came through the clouds', 'snow covered the fields', 'the sky was clear and pale', 'a storm gathered over the sea', 'the air smelled of salt and smoke', 'the moon hung low above the trees', 'the frost made the grass white'];
const verbsPast = ['walked to', 'looked at', 'came back from', 'waited by', 'ran across', 'climbed', 'watched', 'left', 'passed', 'found', 'remembered', 'cleaned', 'carried', 'opened', 'mended', 'sold', 'followed'];
const carryVerbs = ['carried', 'found', 'opened', 'mended', 'sold', 'lost', 'hid', 'lifted', 'painted', 'brought', 'dropped', 'wrapped', 'counted'];
const bringVerbs = ['carried', 'brought', 'took', 'sent', 'rowed', 'dragged'];
const feelings = ['tired', 'glad', 'afraid', 'hungry', 'restless', 'content', 'uneasy', 'hopeful', 'sad', 'curious', 'proud', 'calm'];
const speechVerbs = ['said', 'asked', 'whispered', 'called', 'answered', 'replied', 'cried', 'muttered'];
const sayings = [
  'the sea gives and the sea takes',
  'we should go home before dark',
  'nobody has crossed that bridge since the flood',
  'the bread is still warm',
  'I saw a light on the water',
  'there is no time to lose',
  'the boat will not sail today',
  'you must never open that box',
  'the wind is changing',
  'I have been waiting for you all day',
  'where did you find this',
  'the road is longer than it looks',
  'come inside and sit by the fire',
  'the old map was wrong',
  'it will rain before the evening',
  'listen to the bell',
];
const connectives = ['and', 'but', 'so', 'while', 'because', 'until', 'although'];

const pickTwo = <T>(xs: readonly T[]): [T, T] => {
  const a = pick(xs);
  let b = pick(xs);
  while (b === a) b = pick(xs);
  return [a, b];
};
const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
const who = (): string => (chance(0.5) ? pick(names) : pick(people));

function clause(): string {
  switch (Math.floor(rand() * 7)) {
    case 0:
      return `${who()} ${pick(verbsPast)} ${pick(places)}`;
    case 1:
      return `${who()} ${pick(carryVerbs)} ${pick(things)}`;
    case 2:
      return pick(weather);
    case 3:
      return `${who()} was ${pick(feelings)}`;
    case 4:
      const [a, b] = pickTwo(adjectives);
      return `${pick(places)} was ${a} and ${b}`;
    case 5:
      return `${who()} ${pick(bringVerbs)} ${pick(things)} to ${pick(places)}`;
    default:
      return `${who()} thought of ${pick(things)} and of ${pick(places)}`;
  }
}

function sentence(): string {
  const r = rand();
  if (r < 0.15) {
    // quoted dialogue
    const q = pick(sayings);
    const mark = q.startsWith('where') ? '?' : chance(0.2) ? '!' : ',';
    return `"${cap(q)}${mark}" ${pick(speechVerbs)} ${who()}.`;
  }
  if (r < 0.35) return `${pick(times)}, ${clause()}.`;
  if (r < 0.6) return `${cap(clause())} ${pick(connectives)} ${clause()}.`;
  if (r < 0.7) return `${cap(clause())}, ${clause()}, and ${clause()}.`;
  return `${cap(clause())}.`;
}

function paragraph(): string {
  const n = 3 + Math.floor(rand() * 5);
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(sentence());
  return out.join(' ');
}

const paragraphs: string[] = [];
let bytes = 0;
while (bytes < TARGET_BYTES) {
  const p = paragraph();
  paragraphs.push(p);
  bytes += p.length + 2;
}
const out = new URL('./corpus.txt', import.meta.url);
writeFileSync(out, paragraphs.join('\n\n') + '\n');
console.log(`wrote ${bytes} bytes, ${paragraphs.length} paragraphs to ${out.pathname}`);
