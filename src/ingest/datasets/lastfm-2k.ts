/**
 * Last.fm HetRec 2011: listens with play counts and users' tag assignments in scenario `music`,
 * friendships in scenario `social` (followed users become items `user:<id>`).
 */
import { RecError } from '../../core/errors.ts';
import type { Scenario } from '../../core/types.ts';
import type { Line } from '../lines.ts';
import type { ImportRecord, Reader, ReaderContext } from '../types.ts';
import {
  datasetFiles,
  eventRecord,
  fields,
  int,
  itemRecord,
  lineSource,
  optionalText,
  requireCount,
  requireWholeLines,
} from './common.ts';
import { MUSIC_WEIGHTS, SOCIAL_WEIGHTS } from './scenarios.ts';

const FILES = ['artists.dat', 'tags.dat', 'user_taggedartists.dat', 'user_artists.dat', 'user_friends.dat'];

/** Listens and friendships carry no time; they are dated to the dataset's release (May 2011). */
const LASTFM_UNDATED_TS = Date.UTC(2011, 4, 1);
const TOP_TAGS = 10;

/** the listening scenario, with the event weights an import writes */
export const LASTFM_MUSIC: Scenario = {
  id: 'music',
  kind: 'music',
  name: 'Last.fm artists',
  eventWeights: MUSIC_WEIGHTS,
  allowRepeats: true,
};
const SOCIAL: Scenario = {
  id: 'social',
  kind: 'social',
  name: 'Last.fm friendships',
  eventWeights: SOCIAL_WEIGHTS,
  allowRepeats: false,
};

interface TagRow {
  user: string;
  artist: string;
  tag: string;
  ts: number;
  rawDate: string | undefined;
}

function tagRow(line: Line): TagRow {
  const [user, artist, tag, day, month, year] = fields(line, '\t', 6);
  int(user, 'userID', line.location);
  int(artist, 'artistID', line.location);
  int(tag, 'tagID', line.location);
  const d = int(day, 'day', line.location);
  const m = int(month, 'month', line.location);
  const y = int(year, 'year', line.location);
  if (d < 1 || d > 31 || m < 1 || m > 12)
    throw new RecError('INVALID_INPUT', `not a date: ${day}/${month}/${year}`, {
      field: d < 1 || d > 31 ? 'day' : 'month',
      location: line.location,
    });
  const ts = Date.UTC(y, m - 1, d);
  // A few assignments are dated 1956/1957, before Last.fm existed and before the epoch that
  // timestamps count from: they are kept, dated 1970-01-01, with the source date in the context.
  if (ts < 0) return { user: user!, artist: artist!, tag: tag!, ts: 0, rawDate: `${y}-${month}-${day}` };
  return { user: user!, artist: artist!, tag: tag!, ts, rawDate: undefined };
}

async function* read(dir: string, ctx: ReaderContext): AsyncGenerator<ImportRecord> {
  const [artistsPath, tagsPath, taggedPath, listensPath, friendsPath] = await datasetFiles(dir, FILES);
  const lines = lineSource(ctx);
  yield { kind: 'scenario', value: LASTFM_MUSIC };
  yield { kind: 'scenario', value: SOCIAL };

  // The legacy tags.dat is ISO-8859-1, not UTF-8.
  const tagValue = new Map<string, string>();
  for await (const line of lines(tagsPath!, { encoding: 'utf-8-or-latin1' })) {
    if (line.lineNo === 1 || line.text === '') continue;
    const [id, ...value] = fields(line, '\t', 2);
    int(id, 'tagID', line.location);
    tagValue.set(id!, value.join('\t'));
  }

  // Tag counts per artist, for each artist's most used tags.
  const tagCounts = new Map<string, Map<string, number>>();
  for await (const line of lines(taggedPath!)) {
    if (line.lineNo === 1 || line.text === '') continue;
    const r = tagRow(line);
    if (!tagValue.has(r.tag))
      throw new RecError('INVALID_INPUT', `tag ${r.tag} is not in tags.dat`, {
        field: 'tagID',
        location: line.location,
      });
    let m = tagCounts.get(r.artist);
    if (!m) {
      m = new Map();
      tagCounts.set(r.artist, m);
    }
    m.set(r.tag, (m.get(r.tag) ?? 0) + 1);
  }
  const topTags = (artist: string): string[] =>
    [...(tagCounts.get(artist) ?? [])]
      .sort((a, b) => b[1] - a[1] || Number(a[0]) - Number(b[0]))
      .slice(0, TOP_TAGS)
      .map(([t]) => tagValue.get(t)!);

  const artists = new Set<string>();
  for await (const line of lines(artistsPath!)) {
    if (line.lineNo === 1 || line.text === '') continue;
    const [id, name, url, picture] = fields(line, '\t', 2);
    int(id, 'id', line.location);
    artists.add(id!);
    const tags = topTags(id!);
    yield itemRecord(
      {
        id: id!,
        scenario: LASTFM_MUSIC.id,
        title: name!,
        ...(tags.length ? { tags } : {}),
        attributes: { ...(url ? { url } : {}), ...(picture ? { pictureUrl: picture } : {}) },
        available: true,
      },
      line.location,
    );
  }
  // Tag assignments and listens may name artists missing from artists.dat: they get a
  // placeholder item rather than losing the interaction.
  // (called only for unseen ids: delegating to a generator for every event costs a lot)
  function placeholder(id: string, location: string): ImportRecord {
    artists.add(id);
    ctx.note('placeholderArtists');
    const tags = topTags(id);
    return itemRecord(
      {
        id,
        scenario: LASTFM_MUSIC.id,
        title: '',
        ...(tags.length ? { tags } : {}),
        attributes: { placeholder: true },
        available: true,
      },
      location,
    );
  }

  for await (const line of lines(listensPath!)) {
    if (line.lineNo === 1 || line.text === '') continue;
    const [user, artist, weight] = fields(line, '\t', 3);
    int(user, 'userID', line.location);
    int(artist, 'artistID', line.location);
    if (!artists.has(artist!)) yield placeholder(artist!, line.location);
    yield eventRecord(
      {
        id: `fm:ua:${line.lineNo}`,
        user: user!,
        item: artist!,
        scenario: LASTFM_MUSIC.id,
        type: 'play',
        value: int(weight, 'weight', line.location),
        ts: LASTFM_UNDATED_TS,
      },
      line.location,
    );
  }

  for await (const line of lines(taggedPath!)) {
    if (line.lineNo === 1 || line.text === '') continue;
    const r = tagRow(line);
    if (r.rawDate) ctx.note('tagDatesBeforeEpoch');
    if (!artists.has(r.artist)) yield placeholder(r.artist, line.location);
    yield eventRecord(
      {
        id: `fm:ut:${line.lineNo}`,
        user: r.user,
        item: r.artist,
        scenario: LASTFM_MUSIC.id,
        type: 'tag',
        text: tagValue.get(r.tag)!,
        ts: r.ts,
        ...(r.rawDate ? { context: { sourceDate: r.rawDate } } : {}),
      },
      line.location,
    );
  }
  tagCounts.clear();

  const followable = new Set<string>();
  function userItem(id: string, location: string): ImportRecord {
    followable.add(id);
    const shown = ctx.pseudonymise(id);
    return itemRecord(
      { id: `user:${shown}`, scenario: SOCIAL.id, title: `Last.fm user ${shown}`, available: true },
      location,
    );
  }
  for await (const line of lines(friendsPath!)) {
    if (line.lineNo === 1 || line.text === '') continue;
    const [user, friend] = fields(line, '\t', 2);
    int(user, 'userID', line.location);
    int(friend, 'friendID', line.location);
    if (!followable.has(user!)) yield userItem(user!, line.location);
    if (!followable.has(friend!)) yield userItem(friend!, line.location);
    yield eventRecord(
      {
        id: `fm:uf:${line.lineNo}`,
        user: user!,
        item: `user:${ctx.pseudonymise(friend!)}`,
        scenario: SOCIAL.id,
        type: 'follow',
        ts: LASTFM_UNDATED_TS,
      },
      line.location,
    );
  }
}

/** The row counts HetRec's readme.txt declares under "Data statistics", per file (after its header). */
const DECLARED: readonly [file: string, pattern: RegExp][] = [
  ['artists.dat', /^\s*(\d+) artists\s*$/m],
  ['tags.dat', /^\s*(\d+) tags\s*$/m],
  ['user_taggedartists.dat', /^\s*(\d+) tag assignments/m],
  ['user_artists.dat', /^\s*(\d+) user-listened artist relations/m],
  ['user_friends.dat', /(\d+) \(user_i, user_j\) pairs/],
];

async function check(dir: string, files: readonly string[]): Promise<void> {
  const rows = await requireWholeLines([...new Set(files)]);
  const readme = await optionalText(dir, 'readme.txt');
  if (readme === undefined) return;
  for (const [file, pattern] of DECLARED) {
    const m = pattern.exec(readme);
    if (m) requireCount(file, rows.get(file)! - 1, Number(m[1]), 'readme.txt');
  }
}

export const lastfm2k: Reader = {
  // the tag assignments are read twice (tags per artist first, then as events)
  files: (dir) => datasetFiles(dir, [...FILES, 'user_taggedartists.dat']),
  check,
  read,
  validateFirst: false,
  scenarios: [LASTFM_MUSIC.id, SOCIAL.id],
};
