package matchers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/config"
	"github.com/markwatch/markwatch/pipeline"
)

// Matcher judges listings against a registry of marks and a set of signals.
// It is immutable after Load and safe for concurrent use.
type Matcher struct {
	marks   []compiledMark
	signals Signals
	auto    *automaton
	fold    *foldTable
	now     func() time.Time
	metrics *Metrics
	scratch sync.Pool
	// warnings are problems that do not stop loading (marks check prints them).
	warnings []string
	// slangMark is, for each slang group, the index of its mark (or -1).
	slangMark []int32
	// info is what filtering reads of every candidate's mark, packed so
	// that 10,000 marks fit in cache.
	info []markInfo
	// aliases of every mark, in order (targets index them).
	aliases []aliasInfo
	// sound is the syllable automaton (homophones, phonetic.go) and
	// soundClass maps a skeleton rune to its syllable's class in it.
	sound      *automaton
	soundClass []uint16
	soundIdx   *soundIndex
	// collapsed reads doubled letters (phonetic.go).
	collapsed *automaton
	// markIndex maps a mark id to its index (photo hits name marks by id).
	markIndex map[string]int32
}

type aliasInfo struct {
	mark   int32
	name   string
	weak   bool
	signal float64
}

type markInfo struct {
	from, until  int32 // yyyymmdd, 0: open
	needsContext bool
	kind         markwatch.MarkKind
	id           string
	minPrice     float64
	// belowFloor ends a price signal's text (" is below the genuine floor
	// 1,200 CNY"), built once.
	belowFloor string
}

// compiledMark is a Mark with what matching needs precomputed.
type compiledMark struct {
	Mark
	sellers map[string]bool
	// from, until are the validity window as yyyymmdd (0: open).
	from, until int
}

// dayNumber is t's date as yyyymmdd, for cheap comparisons.
func dayNumber(t time.Time) int {
	y, m, d := t.Date()
	return y*10000 + int(m)*100 + d
}

// Option configures a Matcher.
type Option func(*Matcher)

// WithNow sets the clock used for validity windows and patent dates.
// Default time.Now.
func WithNow(now func() time.Time) Option { return func(m *Matcher) { m.now = now } }

// WithMetrics makes the matcher count into metrics (see NewMetrics).
func WithMetrics(metrics *Metrics) Option { return func(m *Matcher) { m.metrics = metrics } }

// Load reads every *.yaml file of the marks location and the signals file,
// and builds a Matcher. Errors name file, line and field.
func Load(marks, signals config.Location, opts ...Option) (*Matcher, error) {
	list, err := LoadMarks(marks)
	if err != nil {
		return nil, err
	}
	sig, err := LoadSignals(signals)
	if err != nil {
		return nil, err
	}
	return New(list, sig, opts...)
}

// LoadMarks reads and validates the mark files of a location (a directory
// of *.yaml files, or one file). Ids must be unique across files.
func LoadMarks(loc config.Location) ([]Mark, error) {
	files, err := loc.Files()
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("matchers: %s: no *.yaml mark files", loc)
	}
	var all []Mark
	var errs []error
	first := map[string]string{} // id → file:line
	for _, name := range files {
		var f MarksFile
		if err := loc.Decode(name, &f); err != nil {
			errs = append(errs, err)
			continue
		}
		data, _ := loc.ReadFile(name)
		label := strings.TrimSuffix(loc.String(), loc.Path) + name
		for i := range f.Marks {
			mk := &f.Marks[i]
			mk.file = label
			line, col := config.Position(data, fmt.Sprintf("marks[%d].id", i))
			if prev, dup := first[mk.ID]; dup {
				errs = append(errs, &config.Error{File: label, Line: line, Column: col, Field: fmt.Sprintf("marks[%d].id", i),
					Msg: fmt.Sprintf("duplicate id %q (first defined at %s)", mk.ID, prev)})
				continue
			}
			first[mk.ID] = fmt.Sprintf("%s:%d", label, line)
			all = append(all, *mk)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return all, nil
}

// LoadSignals reads and validates the signals file.
func LoadSignals(loc config.Location) (Signals, error) {
	var s Signals
	files, err := loc.Files()
	if err != nil {
		return s, err
	}
	if len(files) != 1 {
		return s, fmt.Errorf("matchers: %s: want one signals file, found %d", loc, len(files))
	}
	if err := loc.Decode(files[0], &s); err != nil {
		return s, err
	}
	return s, nil
}

// New builds a Matcher from marks and signals already decoded (Load does
// both). Marks are validated again here, so that code-built registries get
// the same checks; errors then name the mark's position in the list.
func New(marks []Mark, signals Signals, opts ...Option) (*Matcher, error) {
	if err := signals.Provision(); err != nil {
		return nil, err
	}
	var errs []error
	if err := signals.Validate(); err != nil {
		errs = append(errs, err)
	}
	ids := map[string]int{}
	for i := range marks {
		if err := marks[i].validate(fmt.Sprintf("marks[%d]", i)); err != nil {
			errs = append(errs, fmt.Errorf("mark %q (%s): %w", marks[i].ID, marks[i].file, err))
		}
		if j, dup := ids[marks[i].ID]; dup {
			errs = append(errs, fmt.Errorf("mark %q: duplicate id (marks[%d] and marks[%d])", marks[i].ID, j, i))
		}
		ids[marks[i].ID] = i
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}

	m := &Matcher{signals: signals, fold: folds(), now: time.Now, markIndex: make(map[string]int32, len(marks))}
	for i := range marks {
		m.markIndex[marks[i].ID] = int32(i)
	}
	// A euphemism of a mark that is not in the registry means nothing here
	// (the default signals name default marks; a registry of other marks
	// still loads with them): skip the group and say so in marks check.
	skip := map[int]bool{}
	m.slangMark = make([]int32, len(signals.Slang))
	for i, g := range signals.Slang {
		m.slangMark[i] = -1
		if j, ok := ids[g.Mark]; g.Mark != "" && ok {
			m.slangMark[i] = int32(j)
		}
		if _, ok := ids[g.Mark]; g.Mark != "" && !ok {
			skip[i] = true
			m.warnings = append(m.warnings, fmt.Sprintf("signals slang[%d] (%s) is for mark %q, which is not in the registry: ignored", i, g.Name, g.Mark))
		}
	}
	for _, o := range opts {
		o(m)
	}
	m.marks = make([]compiledMark, len(marks))
	m.info = make([]markInfo, 0, len(marks))
	b := newAutomatonBuilderSize(24*len(marks) + 1024) // names, aliases and their variants
	// add registers a pattern and its traditional-phrase variants.
	add := func(skeleton []rune, t target) {
		b.add(skeleton, t)
		for _, v := range m.fold.variants(skeleton) {
			b.add(v, t)
		}
	}
	syl := syllableTableOnce()
	sb := newAutomatonBuilderSize(6 * len(marks))
	cb := newAutomatonBuilderSize(len(marks)) // collapsed Latin names (doubled letters)
	// variantsOf registers what sellers write instead of a name or strong
	// alias: its pinyin, its homophones (syllable automaton), its
	// look-alike characters, and, for Latin names, a doubled letter. All
	// are weak evidence; a name's own patterns, added first, win over a
	// variant with the same skeleton.
	type variantJob struct {
		skeleton    []rune
		mark, alias int32
		term        string
	}
	var jobs []variantJob
	variantsOf := func(sk []rune, mark int32, term string, alias int32) {
		jobs = append(jobs, variantJob{sk, mark, alias, term})
	}
	// Variants skip add's traditional-phrase variants: they are spellings
	// of a name whose own phrase variants are already patterns.
	addVariant := b.add
	addVariants := func(sk []rune, mark int32, term string, alias int32) {
		if allHan(sk) && len(sk) >= 2 {
			combos := nameReadings(sk)
			spellings, reading := pinyinSpellingsOf(sk, combos)
			// What a phonetic hit is read as, built once per name.
			reading = term + " (" + reading + ")"
			for _, v := range spellings {
				for k, r := range v { // i reads as l in skeletons
					if r == 'i' {
						v[k] = 'l'
					}
				}
				addVariant(v, target{kind: targetName, index: mark, term: term, via: viaPinyin, weak: true, alias: alias, reading: reading})
			}
			for _, v := range syl.syllablePatterns(combos) {
				sb.add(v, target{kind: targetName, index: mark, term: term, via: viaHomophone, weak: true, alias: alias, reading: reading, skeleton: sk})
			}
			for _, v := range lookalikeVariants(sk) {
				addVariant(v, target{kind: targetName, index: mark, term: term, via: viaLookalike, weak: true, alias: alias})
			}
			return
		}
		if c := collapsedName(sk); c != nil {
			cb.add(c, target{kind: targetName, index: mark, term: term, via: viaDoubled, weak: true, alias: alias})
		}
	}
	for i := range marks {
		cm := compiledMark{Mark: marks[i]} // sellers: nil (reads as empty) unless some are authorized
		if !cm.ValidFrom.IsZero() {
			cm.from = dayNumber(cm.ValidFrom.Time)
		}
		if !cm.ValidUntil.IsZero() {
			cm.until = dayNumber(cm.ValidUntil.Time)
		}
		for _, s := range cm.AuthorizedSellers {
			if cm.sellers == nil {
				cm.sellers = map[string]bool{}
			}
			cm.sellers[strings.TrimSpace(s)] = true
		}
		m.marks[i] = cm
		m.info = append(m.info, markInfo{from: int32(cm.from), until: int32(cm.until), needsContext: len(cm.Context) > 0,
			kind: cm.Kind, id: cm.ID, minPrice: cm.MinPrice, belowFloor: " is below the genuine floor " + fmtPrice(cm.MinPrice) + " CNY"})
		for _, n := range cm.Names {
			sk := []rune(foldString(n))
			add(sk, target{kind: targetName, index: int32(i), term: n, alias: -1})
			variantsOf(sk, int32(i), n, -1)
		}
		for _, al := range cm.Aliases {
			ai := int32(len(m.aliases))
			m.aliases = append(m.aliases, aliasInfo{mark: int32(i), name: al.Name, weak: al.Weak(), signal: al.Signal})
			sk := []rune(foldString(al.Name))
			// An alias hit reads as the mark's first name (kept on the
			// target: the marks table is cold when a verdict is built).
			add(sk, target{kind: targetName, index: int32(i), term: al.Name, via: viaAlias, weak: al.Weak(), alias: ai, reading: cm.Names[0]})
			for _, c := range al.Context {
				word, end := strings.CutPrefix(c, "*")
				add([]rune(foldString(word)), target{kind: targetAliasContext, index: ai, term: c, alias: ai, wordEnd: end})
			}
			if !al.Weak() {
				variantsOf(sk, int32(i), al.Name, ai)
			}
		}
		for _, c := range cm.Category {
			word, end := strings.CutPrefix(c, "*")
			add([]rune(foldString(word)), target{kind: targetCategory, index: int32(i), term: c, wordEnd: end})
		}
		for _, c := range cm.Context {
			add([]rune(foldString(c)), target{kind: targetContext, index: int32(i), term: c})
		}
		for _, x := range cm.Exclude {
			add([]rune(foldString(x)), target{kind: targetExclude, index: int32(i), term: x})
		}
	}
	// Variants after every name and alias, so that a name always wins a
	// skeleton it shares with a variant (HUAWEI is also 华为's pinyin).
	for _, j := range jobs {
		addVariants(j.skeleton, j.mark, j.term, j.alias)
	}
	for gi, g := range signals.Slang {
		if skip[gi] {
			continue
		}
		for _, term := range g.Terms {
			sk := []rune(foldString(term))
			t := target{kind: targetSlang, index: int32(gi), term: term, needSeparator: separatorBetweenDigits(term)}
			add(sk, t)
			if len(sk) == 2 && isHan(sk[0]) && isHan(sk[1]) { // 高高仿仿
				add([]rune{sk[0], sk[0], sk[1], sk[1]}, t)
			}
		}
	}
	for gi, g := range signals.Slang {
		for _, x := range g.Exclude {
			add([]rune(foldString(x)), target{kind: targetSlangExclude, index: int32(gi), term: x})
		}
	}
	for _, w := range signals.Negators {
		add([]rune(foldString(w)), target{kind: targetNegator, term: w})
	}
	for _, w := range signals.Accessories {
		add([]rune(foldString(w)), target{kind: targetAccessory, term: w})
	}
	for _, w := range signals.Descriptive.Before {
		add([]rune(foldString(w)), target{kind: targetBefore, term: w})
	}
	for _, w := range signals.Descriptive.After {
		add([]rune(foldString(w)), target{kind: targetAfter, term: w})
	}
	for _, w := range signals.Descriptive.Joiners {
		add([]rune(foldString(w)), target{kind: targetJoiner, term: w})
	}
	for _, w := range signals.Claims.Terms {
		add([]rune(foldString(w)), target{kind: targetClaim, term: w})
	}
	for _, w := range signals.Claims.GI {
		add([]rune(foldString(w)), target{kind: targetGIClaim, term: w})
	}
	m.auto = b.build()
	soundKeys := sb.keys
	m.sound = sb.build()
	m.soundIdx = newSoundIndex(m.sound, soundKeys)
	m.collapsed = cb.build()
	m.soundClass = make([]uint16, 0x10000)
	for r, id := range syl.primary {
		if id != 0 {
			m.soundClass[r] = uint16(m.sound.class(syllableRune + rune(id)))
		}
	}
	m.scratch.New = func() any { return &scratch{} }
	return m, nil
}

func isHan(r rune) bool { return unicode.Is(unicode.Han, r) }

// separatorBetweenDigits reports whether term has non-alphanumeric runes
// between two digits (1:1, 1 : 1).
func separatorBetweenDigits(term string) bool {
	rs := []rune(term)
	for i := 0; i < len(rs); i++ {
		if !unicode.IsDigit(rs[i]) {
			continue
		}
		j := i + 1
		for j < len(rs) && !unicode.IsLetter(rs[j]) && !unicode.IsDigit(rs[j]) {
			j++
		}
		if j > i+1 && j < len(rs) && unicode.IsDigit(rs[j]) {
			return true
		}
	}
	return false
}

// Marks returns the registry (copies), in load order.
func (m *Matcher) Marks() []Mark {
	out := make([]Mark, len(m.marks))
	for i := range m.marks {
		out[i] = m.marks[i].Mark
	}
	return out
}

// Warnings returns problems found while building that did not stop it.
func (m *Matcher) Warnings() []string { return slices.Clone(m.warnings) }

// Signals returns the signals configuration in use (defaults applied).
func (m *Matcher) Signals() Signals { return m.signals }

// Patterns returns the number of distinct skeleton patterns and automaton
// states (for `marks check` and benchmarks).
func (m *Matcher) Patterns() (patterns, states int) {
	return len(m.auto.patterns), m.auto.states
}

// Match judges one listing. The error is non-nil only when ctx is done.
func (m *Matcher) Match(ctx context.Context, l markwatch.Listing) (markwatch.Verdict, error) {
	if err := ctx.Err(); err != nil {
		return markwatch.Verdict{ID: l.ID}, err
	}
	var start time.Time
	if m.metrics != nil {
		start = time.Now()
	}
	sc := m.scratch.Get().(*scratch)
	v, strongest := m.judge(sc, &l, &lazyNow{clock: m.now})
	if sc.small() {
		m.scratch.Put(sc) // a huge description's buffers are not kept
	}
	if m.metrics != nil {
		m.metrics.Listings.Inc()
		for _, h := range v.Hits {
			m.metrics.Hits.WithLabelValues(string(h.Kind)).Inc()
		}
		if v.Suspect {
			m.metrics.Suspects.WithLabelValues(string(strongest)).Inc()
		}
		m.metrics.Duration.Observe(time.Since(start).Seconds())
	}
	return v, nil
}

var _ pipeline.Matcher = (*Matcher)(nil)
