package schedule

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/markwatch/markwatch/config"
	"github.com/markwatch/markwatch/queue"
	"github.com/markwatch/markwatch/schedule/calendar"
)

// File is configs/sweeps.yaml: the e-commerce festivals and the named sweeps.
type File struct {
	// Timezone places holiday dates and run times. Default Asia/Shanghai
	// (the official calendar's own time zone).
	Timezone string `yaml:"timezone"`
	// Festivals are dated windows by custom, not by the State Council:
	// e-commerce festivals. Entries are merged by name over the defaults
	// ("618", double_11, double_12, new_year_goods; see DefaultFestivals),
	// so a file only lists what it changes. Festival names can be used in
	// a sweep's window.around like a holiday name.
	Festivals map[string]*Festival `yaml:"festivals"`
	// Sweeps are the named sweeps.
	Sweeps []*Sweep `yaml:"sweeps"`

	loc        *time.Location
	knownSites []string // when set, sites are checked against it
}

// Festival is a yearly dated window by custom. Either From and To (MM-DD,
// inclusive, every year) or RelativeTo with StartOffset and EndOffset; Years
// overrides both for given years with exact dates once they are announced.
type Festival struct {
	// From and To are month-days, inclusive ("06-01", "06-18"). From after
	// To means the window crosses New Year.
	From string `yaml:"from"`
	To   string `yaml:"to"`
	// RelativeTo is an official holiday whose festival day anchors the
	// window: it runs from festival day + StartOffset to festival day +
	// EndOffset, inclusive ("-21d", "-1d").
	RelativeTo  string          `yaml:"relative_to"`
	StartOffset config.Duration `yaml:"start_offset"`
	EndOffset   config.Duration `yaml:"end_offset"`
	// Years maps a year to its exact dates.
	Years map[int]DateRange `yaml:"years"`
	// Note is free text (where the dates come from).
	Note string `yaml:"note"`

	from, to monthDay
}

// DateRange is an inclusive range of dates.
type DateRange struct {
	From config.Date `yaml:"from" json:"from"`
	To   config.Date `yaml:"to" json:"to"`
}

type monthDay struct {
	month time.Month
	day   int
}

// DefaultFestivals are the e-commerce festivals known without
// configuration. Dates are by custom and move a little each year (domain
// facts §6, unverified): refresh them in sweeps.yaml.
func DefaultFestivals() map[string]*Festival {
	return map[string]*Festival{
		"618":       {From: "06-01", To: "06-18", Note: "JD 618: main sales about 06-01 – 06-18"},
		"double_11": {From: "10-20", To: "11-11", Note: "Double 11: pre-sales from mid or late October"},
		"double_12": {From: "12-01", To: "12-12", Note: "Double 12"},
		"new_year_goods": {RelativeTo: calendar.SpringFestival, StartOffset: config.Duration(-21 * 24 * time.Hour),
			EndOffset: config.Duration(-24 * time.Hour), Note: "New Year goods festival: about three weeks before Spring Festival"},
	}
}

// Sweep is one named sweep.
type Sweep struct {
	// Name identifies the sweep in run ids, logs and metrics: lower-case
	// letters, digits, '_' and '-', starting with a letter or digit.
	Name string `yaml:"name"`
	// Description is free text.
	Description string `yaml:"description"`
	// Disabled keeps the sweep out of the scheduler (it can still be run by
	// hand). Default false.
	Disabled bool `yaml:"disabled"`
	// Sites are site adapter names; each query is searched on each site.
	Sites []string `yaml:"sites"`
	// Queries are explicit search queries.
	Queries []string `yaml:"queries"`
	// Marks derives queries from the marks registry: every search query of
	// every mark of the kind. Queries and Marks may both be given.
	Marks *MarkQueries `yaml:"marks"`
	// Window, when set, is the sweep's window; without it the sweep runs
	// every Every all year.
	Window *WindowSpec `yaml:"window"`
	// Every is how often the sweep runs inside its window (or always, with
	// no window). Default 24h. At least 1m.
	Every config.Duration `yaml:"every"`
	// Outside is how often it runs outside its window: a duration, or
	// "never" (the default).
	Outside Interval `yaml:"outside"`
	// Offset shifts the regular grid of runs outside windows (and of a
	// sweep without window) from local midnight: every 24h with offset 2h
	// runs at 02:00. Default 0.
	Offset config.Duration `yaml:"offset"`
	// Priority of the seed tasks, 0..15 (queue.MaxPriority): higher is
	// crawled first; a search's item pages get one more. Default 0.
	Priority int `yaml:"priority"`
	// MaxPages bounds the search pages crawled per site and query (0: the
	// site adapter's max_pages). Default 0.
	MaxPages int `yaml:"max_pages"`
}

// MarkQueries selects marks whose names become queries.
type MarkQueries struct {
	// Kind is trademark, special or gi.
	Kind string `yaml:"kind"`
}

// WindowSpec is a sweep's window: around a named holiday or festival, or a
// date range; Before and After widen it.
type WindowSpec struct {
	// Around is an official holiday (new_year, spring_festival, qingming,
	// may_day, dragon_boat, mid_autumn, national_day) or a festival name;
	// the window covers its days off (its dates, for a festival) every year.
	Around string `yaml:"around"`
	// From and To are an inclusive date range instead of Around.
	From *config.Date `yaml:"from"`
	To   *config.Date `yaml:"to"`
	// Before and After widen the window: it opens Before the first day off
	// at midnight and closes After the midnight ending the last. Default 0.
	Before config.Duration `yaml:"before"`
	After  config.Duration `yaml:"after"`
}

// Interval is a duration or "never" (zero).
type Interval time.Duration

// UnmarshalText reads "never", "" or a duration such as "24h", "2d".
func (i *Interval) UnmarshalText(b []byte) error {
	s := strings.TrimSpace(string(b))
	if s == "" || s == "never" {
		*i = 0
		return nil
	}
	d, err := config.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("bad interval %q (want never or a duration such as 24h, 2d)", s)
	}
	*i = Interval(d)
	return nil
}

// MarshalText writes "never" or the duration.
func (i Interval) MarshalText() ([]byte, error) {
	if i == 0 {
		return []byte("never"), nil
	}
	return []byte(time.Duration(i).String()), nil
}

// Std is the interval as a time.Duration (0: never).
func (i Interval) Std() time.Duration { return time.Duration(i) }

var (
	sweepName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)
	// festivalName also admits "618".
	festivalName = sweepName
	monthDayRe   = regexp.MustCompile(`^(\d\d)-(\d\d)$`)
)

const maxWiden = 120 * 24 * time.Hour

// Provision fills defaults, merges festivals and loads the time zone.
func (f *File) Provision() error {
	if f.Timezone == "" {
		f.Timezone = "Asia/Shanghai"
	}
	loc, err := loadLocation(f.Timezone)
	if err != nil {
		return config.Errorf("timezone", "%v", err)
	}
	f.loc = loc
	merged := DefaultFestivals()
	for name, fest := range f.Festivals {
		if fest == nil {
			fest = &Festival{}
		}
		if def, ok := merged[name]; ok && fest.From == "" && fest.To == "" && fest.RelativeTo == "" {
			// Only exact years (or a note) given: keep the default rule.
			fest.From, fest.To, fest.RelativeTo = def.From, def.To, def.RelativeTo
			fest.StartOffset, fest.EndOffset = def.StartOffset, def.EndOffset
		}
		merged[name] = fest
	}
	f.Festivals = merged
	for _, s := range f.Sweeps {
		if s == nil {
			continue
		}
		if s.Every == 0 {
			s.Every = config.Duration(24 * time.Hour)
		}
	}
	return nil
}

// loadLocation loads a zone; Asia/Shanghai falls back to UTC+8 (China has
// had no daylight saving since 1991) where the system has no zone database.
func loadLocation(name string) (*time.Location, error) {
	loc, err := time.LoadLocation(name)
	if err != nil && name == "Asia/Shanghai" {
		return time.FixedZone("Asia/Shanghai", 8*3600), nil
	}
	return loc, err
}

// Validate checks every sweep and festival; each error names the field.
func (f *File) Validate() error {
	var errs []error
	bad := func(path, format string, args ...any) { errs = append(errs, config.Errorf(path, format, args...)) }
	for _, name := range slices.Sorted(maps.Keys(f.Festivals)) {
		fest, p := f.Festivals[name], "festivals."+name
		if !festivalName.MatchString(name) {
			bad(p, "festival name %q: use lower-case letters, digits, _ and -", name)
		}
		if calendar.IsOfficialName(name) {
			bad(p, "festival %q has the name of an official holiday", name)
		}
		errs = append(errs, fest.validate(p)...)
	}
	seen := map[string]int{}
	for i, s := range f.Sweeps {
		p := fmt.Sprintf("sweeps[%d]", i)
		if s == nil {
			bad(p, "empty sweep")
			continue
		}
		if !sweepName.MatchString(s.Name) {
			bad(p+".name", "sweep name %q: use lower-case letters, digits, _ and - (at most 63)", s.Name)
		} else if j, dup := seen[s.Name]; dup {
			bad(p+".name", "sweep %q is already defined at sweeps[%d]", s.Name, j)
		} else {
			seen[s.Name] = i
		}
		errs = append(errs, s.validate(p, f)...)
	}
	return errors.Join(errs...)
}

func (fest *Festival) validate(p string) []error {
	var errs []error
	bad := func(path, format string, args ...any) { errs = append(errs, config.Errorf(path, format, args...)) }
	switch {
	case fest.RelativeTo != "" && (fest.From != "" || fest.To != ""):
		bad(p+".relative_to", "give either from/to or relative_to, not both")
	case fest.RelativeTo != "":
		if !calendar.IsOfficialName(fest.RelativeTo) {
			bad(p+".relative_to", "unknown holiday %q (known: %s)", fest.RelativeTo, strings.Join(calendar.Names, ", "))
		}
		if fest.EndOffset < fest.StartOffset {
			bad(p+".end_offset", "end_offset %s is before start_offset %s", fest.EndOffset.Std(), fest.StartOffset.Std())
		}
		if fest.StartOffset.Std()%(24*time.Hour) != 0 || fest.EndOffset.Std()%(24*time.Hour) != 0 {
			bad(p+".start_offset", "offsets must be whole days")
		}
	case fest.From != "" || fest.To != "" || len(fest.Years) == 0:
		var err error
		if fest.from, err = parseMonthDay(fest.From); err != nil {
			bad(p+".from", "%v", err)
		}
		if fest.to, err = parseMonthDay(fest.To); err != nil {
			bad(p+".to", "%v", err)
		}
	}
	for _, y := range slices.Sorted(maps.Keys(fest.Years)) {
		r := fest.Years[y]
		yp := fmt.Sprintf("%s.years.%d", p, y)
		if r.From.IsZero() || r.To.IsZero() {
			bad(yp, "give both from and to")
		} else if r.To.Before(r.From.Time) {
			bad(yp+".to", "%s is before from %s", r.To.Format(time.DateOnly), r.From.Format(time.DateOnly))
		}
	}
	return errs
}

func parseMonthDay(s string) (monthDay, error) {
	m := monthDayRe.FindStringSubmatch(s)
	if m == nil {
		return monthDay{}, fmt.Errorf("bad month-day %q (want MM-DD, e.g. 06-18)", s)
	}
	var md monthDay
	var month int
	fmt.Sscan(m[1], &month)
	fmt.Sscan(m[2], &md.day)
	md.month = time.Month(month)
	// 2024 is a leap year, so 02-29 is accepted.
	if month < 1 || month > 12 || md.day < 1 || calendar.NewDate(2024, md.month, md.day).Day != md.day {
		return monthDay{}, fmt.Errorf("no such month-day %q", s)
	}
	return md, nil
}

func (s *Sweep) validate(p string, f *File) []error {
	var errs []error
	bad := func(path, format string, args ...any) {
		errs = append(errs, config.Errorf(path, "sweep %q: "+format, append([]any{s.Name}, args...)...))
	}
	if len(s.Sites) == 0 {
		bad(p+".sites", "list at least one site")
	}
	for j, site := range s.Sites {
		switch {
		case strings.TrimSpace(site) == "":
			bad(fmt.Sprintf("%s.sites[%d]", p, j), "empty site name")
		case slices.Index(s.Sites, site) != j:
			bad(fmt.Sprintf("%s.sites[%d]", p, j), "site %q listed twice", site)
		case f.knownSites != nil && !slices.Contains(f.knownSites, site):
			bad(fmt.Sprintf("%s.sites[%d]", p, j), "unknown site %q (known: %s)", site, strings.Join(f.knownSites, ", "))
		}
	}
	if len(s.Queries) == 0 && s.Marks == nil {
		bad(p+".queries", "give queries, marks, or both")
	}
	for j, q := range s.Queries {
		if strings.TrimSpace(q) == "" {
			bad(fmt.Sprintf("%s.queries[%d]", p, j), "empty query")
		} else if slices.Index(s.Queries, q) != j {
			bad(fmt.Sprintf("%s.queries[%d]", p, j), "query %q listed twice", q)
		}
	}
	if s.Marks != nil {
		switch s.Marks.Kind {
		case "trademark", "special", "gi":
		default:
			bad(p+".marks.kind", "mark kind %q: want trademark, special or gi", s.Marks.Kind)
		}
	}
	if w := s.Window; w != nil {
		wp := p + ".window"
		switch {
		case w.Around != "" && (w.From != nil || w.To != nil):
			bad(wp+".around", "give either around or from/to, not both")
		case w.Around != "":
			if _, ok := f.Festivals[w.Around]; !ok && !calendar.IsOfficialName(w.Around) {
				bad(wp+".around", "unknown holiday or festival %q (known: %s)", w.Around, strings.Join(f.holidayNames(), ", "))
			}
		case w.From == nil || w.To == nil:
			bad(wp, "give around, or both from and to")
		case w.To.Before(w.From.Time):
			bad(wp+".to", "%s is before from %s", w.To.Format(time.DateOnly), w.From.Format(time.DateOnly))
		}
		if w.Before < 0 || w.Before.Std() > maxWiden {
			bad(wp+".before", "must be 0..%s, got %s", maxWiden, w.Before.Std())
		}
		if w.After < 0 || w.After.Std() > maxWiden {
			bad(wp+".after", "must be 0..%s, got %s", maxWiden, w.After.Std())
		}
	} else if s.Outside != 0 {
		bad(p+".outside", "outside needs a window (without one, every applies all year)")
	}
	if s.Every.Std() < time.Minute {
		bad(p+".every", "must be at least 1m, got %s", s.Every.Std())
	}
	if s.Outside != 0 && s.Outside.Std() < time.Minute {
		bad(p+".outside", "must be never or at least 1m, got %s", s.Outside.Std())
	}
	if s.Offset < 0 || s.Offset.Std() >= 24*time.Hour {
		bad(p+".offset", "must be 0..24h, got %s", s.Offset.Std())
	}
	if s.Priority < 0 || s.Priority > queue.MaxPriority {
		bad(p+".priority", "must be 0..%d (the frontier's priority bands), got %d", queue.MaxPriority, s.Priority)
	}
	if s.MaxPages < 0 || s.MaxPages > 1000 {
		bad(p+".max_pages", "must be 0..1000 (0: the site's max_pages), got %d", s.MaxPages)
	}
	return errs
}

func (f *File) holidayNames() []string {
	return append(slices.Clone(calendar.Names), slices.Sorted(maps.Keys(f.Festivals))...)
}

// Location is the time zone of the file.
func (f *File) Location() *time.Location { return f.loc }

// Sweep returns the sweep called name, or nil.
func (f *File) Sweep(name string) *Sweep {
	for _, s := range f.Sweeps {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// SweepNames lists the sweeps' names in file order.
func (f *File) SweepNames() []string {
	var out []string
	for _, s := range f.Sweeps {
		out = append(out, s.Name)
	}
	return out
}

// LoadOptions tune Load.
type LoadOptions struct {
	// Sites, when not nil, are the known site adapter names: a sweep naming
	// another site is an error.
	Sites []string
}

// Load reads a sweeps file (config.Config.SweepsLocation()). Errors name
// the file, line and field.
func Load(loc config.Location, opts LoadOptions) (*File, error) {
	files, err := loc.Files()
	if err != nil {
		return nil, err
	}
	if len(files) != 1 {
		return nil, fmt.Errorf("schedule: %s: want one sweeps file, found %d", loc, len(files))
	}
	f := &File{knownSites: opts.Sites}
	if err := loc.Decode(files[0], f); err != nil {
		return nil, err
	}
	return f, nil
}

// Parse decodes sweeps YAML held in memory (tests, embedded configs).
func Parse(name string, data []byte, opts LoadOptions) (*File, error) {
	f := &File{knownSites: opts.Sites}
	if err := config.Decode(name, data, f); err != nil {
		return nil, err
	}
	return f, nil
}
