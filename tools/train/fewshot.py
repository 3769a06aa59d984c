"""Answer formats made up per sequence, so that few-shot prompting can work: a person shows two
screens with answers in their own format, then a third screen, and expects that format back.
Flamingo learned this from interleaved web pages; here every format is drawn at random from
the facts a screen's spec gives (its kind, theme, counts, title, first button), the names
those facts are given, and the punctuation between them.

Stage 2 sees lists of records in one format (the LM learns to continue a format it has just
seen); stage 3 sees two or three screens each followed by its record, with no prompt. The
format the evaluation uses ("Screen type: ... | Buttons: N", tools/eval/metrics.ts) is held
out: neither of its names is ever drawn."""
import re

HELD_OUT_NAMES = {'screen type', 'buttons'}

# fact -> the names a format may give it
FACTS = {
    'kind': ['Kind', 'Type', 'Category', 'Screen', 'Page', 'View', 'Layout', 'Class'],
    'theme': ['Theme', 'Mode', 'Colors', 'Scheme', 'Palette', 'Look'],
    'components': ['Components', 'Parts', 'Items', 'Elements', 'Widgets', 'Count'],
    'button_count': ['Button count', 'Number of buttons', 'Btns', 'Actions'],
    'heading_count': ['Headings', 'Heading count', 'Titles'],
    'field_count': ['Fields', 'Inputs', 'Text fields'],
    'title': ['Title', 'Heading', 'Header', 'Name'],
    'first_button': ['First button', 'Action', 'Main button', 'Primary'],
}
KEY_VALUE = [': ', ' = ', ' -> ', ' is ', '=', ' - ']
SEPARATORS = [' | ', '; ', ', ', ' / ', ' -- ', ' :: ']
WRAPPERS = [('', ''), ('', ''), ('[', ']'), ('(', ')'), ('{', '}'), ('<', '>')]
assert not HELD_OUT_NAMES & {n.lower() for names in FACTS.values() for n in names}


def facts(sample):
    """The facts of a still sample that formats can ask for (missing ones are absent)."""
    comps = sample.get('components') or []
    out = {'kind': sample['kind'], 'components': str(len(comps))}
    describe = next((t['answer'] for t in sample['tasks'] if t['task'] == 'describe'), '')
    theme = re.search(r'\b(dark|light) theme\b', describe)
    if theme:
        out['theme'] = theme.group(1)
    for fact, kind in (('button_count', 'button'), ('heading_count', 'heading'), ('field_count', 'text field')):
        out[fact] = str(sum(c['type'] == kind for c in comps))
    for fact, kind in (('title', 'heading'), ('first_button', 'button')):
        label = next((c['label'] for c in comps if c['type'] == kind and c.get('label')), None)
        if label:
            out[fact] = label
    return out


class Format:
    """One made-up answer format: 1-3 facts, a name for each, and the punctuation."""

    def __init__(self, rng):
        k = rng.choice([1, 2, 2, 3])
        self.facts = list(rng.choice(list(FACTS), size=k, replace=False))
        self.names = [str(rng.choice(FACTS[f])) for f in self.facts]
        if rng.random() < 0.3:
            self.names = [n.lower() for n in self.names]
        self.kv = str(rng.choice(KEY_VALUE))
        self.sep = str(rng.choice(SEPARATORS))
        self.open, self.close = WRAPPERS[rng.integers(len(WRAPPERS))]

    def fits(self, f):
        return all(x in f for x in self.facts)

    def render(self, f):
        return self.open + self.sep.join(n + self.kv + f[x] for n, x in zip(self.names, self.facts)) + self.close


class FewShot:
    """Draws sequences of still samples that share one made-up format."""

    def __init__(self, samples, tok, indices):
        self.tok = tok
        self.facts = {i: facts(samples[i]) for i in indices}
        self.indices = list(self.facts)

    def records(self, rng, k):
        """[(sample index, record text)] * k in one new format."""
        while True:
            fmt = Format(rng)
            chosen, tries = [], 0
            while len(chosen) < k and tries < 50:
                i = self.indices[rng.integers(len(self.indices))]
                tries += 1
                if fmt.fits(self.facts[i]):
                    chosen.append((i, fmt.render(self.facts[i])))
            if len(chosen) == k:
                return chosen

    def lm_texts(self, rng, count, k=3):
        """count texts of k records each, one per line (stage 2's share of the corpus)."""
        return ['\n'.join(r for _, r in self.records(rng, k)) for _ in range(count)]

    def sequence(self, rng):
        """A stage-3 sequence: 2-3 (sample, prompt ids (none), answer ids, task) items."""
        return [(i, [], self.tok.encode(r), 'fewshot') for i, r in self.records(rng, int(rng.choice([2, 3])))]
