package matchers

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/config"
)

// MarksFile is one configs/marks/*.yaml file: an optional event that groups
// its marks (owner, validity and licensees shared by all of them) and the
// marks themselves.
type MarksFile struct {
	// Event groups the file's marks, e.g. the 19th Asian Games. Marks copy the
	// event's owner, validity window and authorized sellers where they leave
	// them empty. Optional.
	Event *Event `yaml:"event"`
	// Marks is the list of marks. Required (it may be empty).
	Marks []Mark `yaml:"marks"`
}

// Event is what the marks of one file share.
type Event struct {
	// ID is a short stable name, e.g. "hangzhou-2022". Required.
	ID string `yaml:"id"`
	// Name is the event's official name, for people.
	Name string `yaml:"name"`
	// Owner is the holder of the marks (a mark's own owner wins).
	Owner string `yaml:"owner"`
	// ValidFrom, ValidUntil (YYYY-MM-DD, inclusive) bound when the marks
	// are enforced; a mark's own dates win.
	ValidFrom  config.Date `yaml:"valid_from"`
	ValidUntil config.Date `yaml:"valid_until"`
	// AuthorizedSellers are licensees of every mark of the event; a mark's
	// own list is added to it.
	AuthorizedSellers []string `yaml:"authorized_sellers"`
}

// Mark is one protected sign. Field names are fixed by issue 3.
type Mark struct {
	// ID is unique across all mark files, e.g. "nike". Required.
	ID string `yaml:"id"`
	// Kind is trademark, special or gi. Required.
	Kind markwatch.MarkKind `yaml:"kind"`
	// Names are the mark in every script it is registered or commonly
	// written in. At least one is required. Latin names match only on word
	// boundaries of the listing text; CJK names match anywhere.
	Names []string `yaml:"names"`
	// Owner is the holder of the mark.
	Owner string `yaml:"owner"`
	// Registrations are registration numbers, kept for evidence.
	Registrations []string `yaml:"registrations"`
	// Classes are Nice classes (1..45).
	Classes []int `yaml:"classes"`
	// ValidFrom, ValidUntil bound when the mark is enforced (YYYY-MM-DD,
	// inclusive); outside them its names are not reported. Default: always.
	ValidFrom  config.Date `yaml:"valid_from"`
	ValidUntil config.Date `yaml:"valid_until"`
	// Aliases are the mark's nicknames and euphemisms (驴家 and 老花 for
	// Louis Vuitton, 香奶奶 for Chanel, 小绿表 for a Rolex Submariner). An
	// alias hit is a hit of the mark (via "alias"). Written as a plain
	// string (strong) or as {name, strength, context}.
	Aliases []Alias `yaml:"aliases"`
	// Context: when set, at least one of these words must appear in the
	// listing (title or description) for any name of the mark to count.
	// For marks that are ordinary words: 苹果 needs 手机, 小米 needs 手环.
	Context []string `yaml:"context"`
	// Category are words for the mark's goods (鞋, 手表, 白酒); "*包"
	// matches 包 only at the end of a Han word (腋下包, 手提包, not 包邮). Weak
	// evidence (a weak alias, pinyin, a homophone, a look-alike character,
	// a doubled letter) counts with one of them in the listing, or with a
	// counterfeit word; a low price alone is not enough, since a sound-alike
	// of a brand on other goods is as cheap as those goods.
	Category []string `yaml:"category"`
	// Exclude: phrases that contain a name but are not the mark (茅台镇). A
	// name inside an excluded phrase does not count; a separate occurrence
	// in the same listing still does.
	Exclude []string `yaml:"exclude"`
	// MinPrice (CNY): genuine goods do not sell below it. 0: no floor.
	MinPrice float64 `yaml:"min_price"`
	// AuthorizedSellers are shops licensed for the mark; they are never
	// suspect for it.
	AuthorizedSellers []string `yaml:"authorized_sellers"`
	// Regions (gi only): words naming the places the genuine goods come
	// from; a listing's ship_from matches when it contains any of them.
	Regions []string `yaml:"regions"`
	// Images are reference pictures of the mark (official product photos,
	// the emblem, the mascots), paths relative to the marks folder; a
	// listing photo near one of them is a hit with Via "photo". Read by
	// the images package, not the text matcher.
	Images []string `yaml:"images"`
	// Note is free text for people (what the mark is, where a fact comes from).
	Note string `yaml:"note"`

	event string // Event.ID of the file, if any
	file  string // file the mark was read from
}

// Alias is one nickname or euphemism of a mark.
type Alias struct {
	// Name is the alias as sellers write it. Required.
	Name string `yaml:"name"`
	// Strength is strong (default: as good as the mark's name) or weak
	// (an ordinary word too: it counts only with one of its context words,
	// the mark's context words, or a counterfeit signal in the listing).
	Strength string `yaml:"strength"`
	// Context are words that make a weak alias count (老花 with 钱包); as
	// in Mark.Category, "*鞋" matches only at the end of a Han word.
	Context []string `yaml:"context"`
	// Signal, when set (0..1), makes the alias also a counterfeit signal
	// of that weight for its mark: insider euphemisms (驴家, 香奶奶, X家)
	// are how replica sellers talk, even next to the name. Default 0.
	Signal float64 `yaml:"signal"`
}

// Weak reports whether the alias is weak evidence.
func (a Alias) Weak() bool { return a.Strength == "weak" }

// UnmarshalYAML reads an alias written as a plain string or as a mapping.
func (a *Alias) UnmarshalYAML(node ast.Node) error {
	if node.Type() == ast.StringType {
		return yaml.NodeToValue(node, &a.Name)
	}
	type plain Alias
	return yaml.NodeToValue(node, (*plain)(a), yaml.Strict())
}

// Event returns the id of the event the mark belongs to, or "".
func (m *Mark) Event() string { return m.event }

// File returns the file the mark was read from.
func (m *Mark) File() string { return m.file }

// Provision applies the event's shared values to its marks.
func (f *MarksFile) Provision() error {
	if f.Event == nil {
		return nil
	}
	e := f.Event
	for i := range f.Marks {
		m := &f.Marks[i]
		m.event = e.ID
		if m.Owner == "" {
			m.Owner = e.Owner
		}
		if m.ValidFrom.IsZero() {
			m.ValidFrom = e.ValidFrom
		}
		if m.ValidUntil.IsZero() {
			m.ValidUntil = e.ValidUntil
		}
		m.AuthorizedSellers = append(append([]string(nil), e.AuthorizedSellers...), m.AuthorizedSellers...)
	}
	return nil
}

// Validate checks every mark of the file on its own; Load checks what spans
// files (unique ids).
func (f *MarksFile) Validate() error {
	var errs []error
	if f.Event != nil && strings.TrimSpace(f.Event.ID) == "" {
		errs = append(errs, config.Errorf("event.id", "is required"))
	}
	if e := f.Event; e != nil && !e.ValidFrom.IsZero() && !e.ValidUntil.IsZero() && e.ValidUntil.Before(e.ValidFrom.Time) {
		errs = append(errs, config.Errorf("event.valid_until", "%s is before valid_from %s", day(e.ValidUntil), day(e.ValidFrom)))
	}
	seen := map[string]int{}
	for i := range f.Marks {
		m := &f.Marks[i]
		p := fmt.Sprintf("marks[%d]", i)
		if j, dup := seen[m.ID]; dup && m.ID != "" {
			errs = append(errs, config.Errorf(p+".id", "duplicate id %q (also marks[%d])", m.ID, j))
		}
		seen[m.ID] = i
		errs = append(errs, m.validate(p))
	}
	return errors.Join(errs...)
}

func (m *Mark) validate(p string) error {
	var errs []error
	add := func(field, format string, args ...any) {
		errs = append(errs, config.Errorf(p+"."+field, format, args...))
	}
	if strings.TrimSpace(m.ID) == "" {
		add("id", "is required")
	} else if strings.ContainsAny(m.ID, " \t\n") {
		add("id", "must not contain spaces, got %q", m.ID)
	}
	switch m.Kind {
	case markwatch.Trademark, markwatch.Special, markwatch.GI:
	case "":
		add("kind", "is required (trademark, special or gi)")
	default:
		add("kind", "must be trademark, special or gi, got %q", m.Kind)
	}
	if len(m.Names) == 0 {
		add("names", "needs at least one name")
	}
	var folded []string
	for i, n := range m.Names {
		k := foldString(n)
		if k == "" {
			add(fmt.Sprintf("names[%d]", i), "%q has no letters or digits to match", n)
			continue
		}
		folded = append(folded, k)
	}
	for i, a := range m.Aliases {
		p := fmt.Sprintf("aliases[%d]", i)
		k := foldString(a.Name)
		if k == "" {
			add(p+".name", "%q has no letters or digits to match", a.Name)
		} else {
			folded = append(folded, k)
		}
		if a.Signal < 0 || a.Signal > 1 {
			add(p+".signal", "must be within 0..1, got %v", a.Signal)
		}
		if a.Strength != "" && a.Strength != "strong" && a.Strength != "weak" {
			add(p+".strength", "must be strong or weak, got %q", a.Strength)
		}
		for j, c := range a.Context {
			if foldString(c) == "" {
				add(fmt.Sprintf("%s.context[%d]", p, j), "%q has no letters or digits to match", c)
			}
		}
	}
	for i, c := range m.Category {
		if foldString(c) == "" {
			add(fmt.Sprintf("category[%d]", i), "%q has no letters or digits to match", c)
		}
	}
	for i, c := range m.Context {
		if foldString(c) == "" {
			add(fmt.Sprintf("context[%d]", i), "%q has no letters or digits to match", c)
		}
	}
	for i, x := range m.Exclude {
		k := foldString(x)
		if k == "" {
			add(fmt.Sprintf("exclude[%d]", i), "%q has no letters or digits to match", x)
			continue
		}
		contains := false
		for _, n := range folded { // names and aliases
			contains = contains || strings.Contains(k, n)
		}
		if !contains {
			add(fmt.Sprintf("exclude[%d]", i), "%q contains none of the mark's names or aliases, so it can never apply", x)
		}
	}
	for i, c := range m.Classes {
		if c < 1 || c > 45 {
			add(fmt.Sprintf("classes[%d]", i), "Nice classes are 1..45, got %d", c)
		}
	}
	if m.MinPrice < 0 {
		add("min_price", "must not be negative, got %v", m.MinPrice)
	}
	if !m.ValidFrom.IsZero() && !m.ValidUntil.IsZero() && m.ValidUntil.Before(m.ValidFrom.Time) {
		add("valid_until", "%s is before valid_from %s", day(m.ValidUntil), day(m.ValidFrom))
	}
	if m.Kind == markwatch.GI && len(m.Regions) == 0 {
		add("regions", "a gi mark needs the regions its goods come from")
	}
	if m.Kind != markwatch.GI && len(m.Regions) > 0 {
		add("regions", "only gi marks have regions")
	}
	for i, r := range m.Regions {
		if strings.TrimSpace(r) == "" {
			add(fmt.Sprintf("regions[%d]", i), "is empty")
		}
	}
	for i, s := range m.AuthorizedSellers {
		if strings.TrimSpace(s) == "" {
			add(fmt.Sprintf("authorized_sellers[%d]", i), "is empty")
		}
	}
	return errors.Join(errs...)
}

func day(d config.Date) string { return d.Format(time.DateOnly) }

// ActiveOn reports whether the mark is enforced on t's calendar date (its
// validity window is inclusive; an open end is always).
func (m *Mark) ActiveOn(t time.Time) bool {
	d := dayNumber(t)
	return (m.ValidFrom.IsZero() || d >= dayNumber(m.ValidFrom.Time)) && (m.ValidUntil.IsZero() || d <= dayNumber(m.ValidUntil.Time))
}

// Signals is configs/signals.yaml: counterfeit slang with weights,
// descriptive-use patterns, and how the score is computed.
type Signals struct {
	// Threshold: a listing is suspect when its score is at least this.
	// Default 0.5.
	Threshold float64 `yaml:"threshold"`
	// Weights of the evidence the verdict policy combines.
	Weights Weights `yaml:"weights"`
	// Slang groups counterfeit words by strength.
	Slang []SlangGroup `yaml:"slang"`
	// Descriptive lists the words that make a mark name descriptive use
	// (适用于华为, for iPhone, 小米专用).
	Descriptive Descriptive `yaml:"descriptive"`
	// Negators are words that, right before a slang term, deny it
	// (拒绝高仿, 非原单): the term is then not a signal.
	Negators []string `yaml:"negators"`
	// Accessories are words naming goods sold for a brand's products
	// (手机壳, 表带, 数据线). A listing that names one is not judged by a
	// mark's price floor, which is the price of the goods themselves; slang
	// still counts.
	Accessories []string `yaml:"accessories"`
	// AccessoryCategories: a listing whose category contains one of these
	// (手机配件) is an accessory too.
	AccessoryCategories []string `yaml:"accessory_categories"`
	// Claims are words that, right after a mark name or alias, claim the
	// goods are the mark's or as good (耐克同款, 香奶奶平替, 阳澄湖品质).
	Claims Claims `yaml:"claims"`
	// Currency converts prices in other currencies to CNY for the price
	// floors (which are in CNY).
	Currency Currency `yaml:"currency"`
}

// Currency is a table of conversion rates to CNY.
type Currency struct {
	// Rates are CNY per unit of each currency (ISO 4217 code: USD, HKD,
	// EUR). A price in a currency without a rate is not compared with
	// the floors, and the verdict says so.
	Rates map[string]float64 `yaml:"rates"`
	// AsOf is the date the rates were read ("2026-12-01"), stated in the
	// verdicts that use them.
	AsOf string `yaml:"as_of"`
}

// Claims are the claim words and what they weigh.
type Claims struct {
	// Terms right after a trademark or special mark hit (同款, 平替, 复刻,
	// 对版): a signal of weight Weight for that mark.
	Terms []string `yaml:"terms"`
	// Weight of a trademark claim. Default 0.6.
	Weight float64 `yaml:"weight"`
	// GI terms right after a geographical indication (品质, 风味, 工艺, 同款):
	// the name is a quality claim on goods from elsewhere, which is GI
	// misuse unless ship_from is within the GI's regions (weight: the
	// region weight).
	GI []string `yaml:"gi"`
}

// Weights are the strengths (0..1) the score combines. A mark's score is
// the noisy-or 1-Π(1-w) of its base weight and the weights of the signals
// that apply to it; the listing's score is the highest mark score.
type Weights struct {
	// Mention is the base weight of a plain mark hit. Default 0.2; it must
	// stay below the threshold (a mention alone is a lead, not a suspect).
	Mention float64 `yaml:"mention"`
	// Descriptive is the base weight of a descriptive-only hit. Default 0.05.
	Descriptive float64 `yaml:"descriptive"`
	// Special: a special mark used by a seller who is not licensed. Default 0.9.
	Special float64 `yaml:"special"`
	// Region: a gi shipped from outside its regions. Default 0.9.
	Region float64 `yaml:"region"`
	// Price: a trademark listed below its min_price. Default 0.5.
	Price float64 `yaml:"price"`
	// PriceFar applies instead of Price below PriceFarRatio × min_price.
	// Defaults 0.7 and 0.3.
	PriceFar      float64 `yaml:"price_far"`
	PriceFarRatio float64 `yaml:"price_far_ratio"`
	// Patent: an invalid, future or expired patent number. Default 0.9.
	Patent float64 `yaml:"patent"`
	// PatentValid is the base of a well-formed, live patent number. Default 0.1.
	PatentValid float64 `yaml:"patent_valid"`
	// Unmarked scales the slang of a listing with no mark hit: such a
	// listing is a lead for keyword review, and must never reach the
	// threshold by itself. Default 0.4.
	Unmarked float64 `yaml:"unmarked"`
	// Photo: a listing photo is a near-duplicate of one of the mark's
	// reference images (a stolen official photo). Default 0.3: with the
	// mention it stays below the threshold (resellers use official photos
	// too), with a price below the floor it is suspect.
	Photo float64 `yaml:"photo"`
}

// SlangGroup is a set of counterfeit words of one strength.
type SlangGroup struct {
	// Name says what the words are, e.g. "replica words". Required.
	Name string `yaml:"name"`
	// Weight is the strength 0..1. With the defaults a weight of at least
	// 0.375 makes a trademark hit suspect on its own.
	Weight float64 `yaml:"weight"`
	// Terms are the words. Punctuation inside a term matters only between
	// digits ("1:1" needs a separator, so "双11" is not it); elsewhere
	// separators are ignored as in mark names. Two-character CJK terms also
	// match doubled (高高仿仿).
	Terms []string `yaml:"terms"`
	// Mark optionally ties the group to one mark id (euphemisms: 驴家 is
	// Louis Vuitton); the signal is then listed against that mark.
	Mark string `yaml:"mark"`
	// Exclude: phrases that contain a term but are not slang (原单价 is a
	// unit price, not 原单).
	Exclude []string `yaml:"exclude"`
}

// Descriptive are the words around a mark name that make it descriptive use.
type Descriptive struct {
	// Before: words directly before a name (适用于, 兼容, for).
	Before []string `yaml:"before"`
	// After: words directly after a name (专用, 通用).
	After []string `yaml:"after"`
	// Joiners may separate names listed under one descriptive word
	// (适用于华为和小米). Separators (spaces, /, 、) always may.
	Joiners []string `yaml:"joiners"`
}

// Provision fills default weights.
func (s *Signals) Provision() error {
	def := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	def(&s.Threshold, 0.5)
	w := &s.Weights
	def(&w.Mention, 0.2)
	def(&w.Descriptive, 0.05)
	def(&w.Special, 0.9)
	def(&w.Region, 0.9)
	def(&w.Price, 0.5)
	def(&w.PriceFar, 0.7)
	def(&w.PriceFarRatio, 0.3)
	def(&w.Patent, 0.9)
	def(&w.PatentValid, 0.1)
	def(&w.Unmarked, 0.4)
	def(&w.Photo, 0.3)
	def(&s.Claims.Weight, 0.6)
	return nil
}

// Validate checks ranges and terms.
func (s *Signals) Validate() error {
	var errs []error
	unit := func(path string, v float64) {
		if v < 0 || v > 1 {
			errs = append(errs, config.Errorf(path, "must be within 0..1, got %v", v))
		}
	}
	unit("claims.weight", s.Claims.Weight)
	for code, rate := range s.Currency.Rates {
		if len(code) != 3 || strings.ToUpper(code) != code || code == "CNY" {
			errs = append(errs, config.Errorf("currency.rates."+code, "must be an upper-case ISO 4217 code other than CNY"))
		}
		if !(rate > 0) {
			errs = append(errs, config.Errorf("currency.rates."+code, "must be a positive rate (CNY per unit), got %v", rate))
		}
	}
	if len(s.Currency.Rates) > 0 && strings.TrimSpace(s.Currency.AsOf) == "" {
		errs = append(errs, config.Errorf("currency.as_of", "is required with rates (the date they were read, stated in verdicts)"))
	}
	if s.Threshold <= 0 || s.Threshold > 1 {
		errs = append(errs, config.Errorf("threshold", "must be within (0, 1], got %v", s.Threshold))
	}
	w := s.Weights
	type weight struct {
		path  string
		value float64
		base  bool // must stay below the threshold
	}
	for _, x := range []weight{
		{"weights.mention", w.Mention, true}, {"weights.descriptive", w.Descriptive, true},
		{"weights.special", w.Special, false}, {"weights.region", w.Region, false},
		{"weights.price", w.Price, false}, {"weights.price_far", w.PriceFar, false},
		{"weights.price_far_ratio", w.PriceFarRatio, false}, {"weights.patent", w.Patent, false},
		{"weights.patent_valid", w.PatentValid, true}, {"weights.unmarked", w.Unmarked, true},
		{"weights.photo", w.Photo, false},
	} {
		unit(x.path, x.value)
		if x.base && x.value >= s.Threshold {
			errs = append(errs, config.Errorf(x.path, "must stay below the threshold %v, or a mention alone would be suspect", s.Threshold))
		}
	}
	for i, g := range s.Slang {
		p := fmt.Sprintf("slang[%d]", i)
		if strings.TrimSpace(g.Name) == "" {
			errs = append(errs, config.Errorf(p+".name", "is required"))
		}
		if g.Weight <= 0 || g.Weight > 1 {
			errs = append(errs, config.Errorf(p+".weight", "must be within (0, 1], got %v", g.Weight))
		}
		if len(g.Terms) == 0 {
			errs = append(errs, config.Errorf(p+".terms", "needs at least one term"))
		}
		for j, t := range g.Terms {
			if foldString(t) == "" {
				errs = append(errs, config.Errorf(fmt.Sprintf("%s.terms[%d]", p, j), "%q has no letters or digits to match", t))
			}
		}
	}
	for i, g := range s.Slang {
		for j, x := range g.Exclude {
			if foldString(x) == "" {
				errs = append(errs, config.Errorf(fmt.Sprintf("slang[%d].exclude[%d]", i, j), "%q has no letters or digits to match", x))
			}
		}
	}
	for _, l := range []struct {
		name string
		list []string
	}{
		{"descriptive.before", s.Descriptive.Before}, {"descriptive.after", s.Descriptive.After},
		{"descriptive.joiners", s.Descriptive.Joiners}, {"negators", s.Negators}, {"accessories", s.Accessories},
		{"claims.terms", s.Claims.Terms}, {"claims.gi", s.Claims.GI},
		{"accessory_categories", s.AccessoryCategories},
	} {
		for j, t := range l.list {
			if foldString(t) == "" {
				errs = append(errs, config.Errorf(fmt.Sprintf("%s[%d]", l.name, j), "%q has no letters or digits to match", t))
			}
		}
	}
	return errors.Join(errs...)
}
